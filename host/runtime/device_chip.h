/* Which hardware an OpenCL device stands for, so that two drivers exposing the same chip (PoCL and
 * Intel's CPU runtime on one CPU; a vendor's driver and a portable one on one GPU) count as one
 * device for "all" and for the default choice. Pure functions over what the drivers report: the
 * device list reads the facts, these decide. */
#ifndef ADN_DEVICE_CHIP_H
#define ADN_DEVICE_CHIP_H

#include "adnet.h"

#include <stddef.h>
#include <stdint.h>

/* Whether needle occurs in hay, ignoring ASCII case (an empty needle does not): how device specs
 * match names, and how the chip rules recognise a model or a vendor in one. */
int adn_contains_ci(const char *hay, const char *needle);

/* What a driver tells about the hardware behind a device. */
typedef struct adn_chip_facts {
    adnet_device_type type;
    int host_unified; /* CL_DEVICE_HOST_UNIFIED_MEMORY: the device computes in the host's memory */
    const char *name; /* CL_DEVICE_NAME */
    unsigned vendor_id;
    uint64_t global_mem_bytes;
    /* the PCI address from cl_khr_pci_bus_info, AMD's topology or NVIDIA's bus/slot queries */
    int has_pci;
    unsigned pci_domain, pci_bus, pci_device, pci_function;
    /* the host's CPU model ("model name" of /proc/cpuinfo), "" when unknown */
    const char *host_cpu_model;
} adn_chip_facts;

/* The chip's identity, in two parts. pci: "PCI 0000:03:00.0" when the driver gives the address,
 * else "". desc: what identifies it without one: for a CPU device computing in host memory whose
 * name holds the host's model name (PoCL's "pthread-skylake-avx512-AMD EPYC", Intel's "AMD
 * EPYC"), "host CPU AMD EPYC"; else the type, vendor id, name and memory size. Core counts are
 * not part of it: a driver limited to fewer threads still runs on the same cores. */
void adn_chip_identify(const adn_chip_facts *f, char *pci, size_t pci_cap, char *desc,
                       size_t desc_cap);

/* Two devices are the same chip when both give a PCI address and the addresses are equal, or
 * when at least one gives none and their descriptions are equal. */
int adn_chip_same(const char *pci_a, const char *desc_a, const char *pci_b, const char *desc_b);

/* One device of the list, as the choice among a chip's devices sees it. */
typedef struct adn_chip_candidate {
    const char *pci, *desc; /* adn_chip_identify's */
    adnet_device_type type;
    const char *platform;    /* CL_PLATFORM_NAME */
    const char *vendor;      /* CL_DEVICE_VENDOR */
    double estimated_gflops; /* the device list's estimate (compute units x clock x lanes) */
    double measured_ms;      /* `adnet tune`'s time of the network below, < 0 when not tuned */
    const char *measured_on; /* that network ("ad R101 857x481"), "" when not tuned */
} adn_chip_candidate;

/* For each of the n devices: stands_for[i] = -1 when device i stands for its chip, else the
 * index of the device that does; why[i] (why_cap bytes each) says which rule chose and, for a
 * device left out, what it shares with the chosen one. Among one chip's devices the choice is:
 * the faster by `adnet tune`'s measurements when every one of them was tuned on the same network;
 * else the higher estimate when the estimates differ by more than 5 %; else the stated
 * preference (adn_chip_preference); else the first listed. */
void adn_chip_choose(const adn_chip_candidate *c, int n, int *stands_for, char *why,
                     size_t why_cap);

/* The stated preference between drivers of one chip, higher first: for CPUs PoCL (the driver
 * every test of adnet runs on, and the faster with adnet's kernels on the Intel Xeons measured),
 * then others; for GPUs the chip vendor's own driver, then the portable ones (PoCL, Rusticl,
 * Clover). docs/architecture.md, "One device per chip", gives the measurements. */
int adn_chip_preference(const adn_chip_candidate *c);

#endif
