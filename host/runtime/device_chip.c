#include "device_chip.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int adn_contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0) return 0;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return 0;
}

void adn_chip_identify(const adn_chip_facts *f, char *pci, size_t pci_cap, char *desc,
                       size_t desc_cap) {
    if (f->has_pci)
        snprintf(pci, pci_cap, "PCI %04x:%02x:%02x.%x", f->pci_domain, f->pci_bus, f->pci_device,
                 f->pci_function);
    else
        snprintf(pci, pci_cap, "%s", "");
    const char *model = f->host_cpu_model ? f->host_cpu_model : "";
    if (f->type == ADNET_DEVICE_CPU && f->host_unified && adn_contains_ci(f->name, model)) {
        snprintf(desc, desc_cap, "host CPU %s", model);
    } else {
        snprintf(desc, desc_cap, "%s 0x%04x %s %llu MiB", adnet_device_type_name(f->type),
                 f->vendor_id, f->name, (unsigned long long)(f->global_mem_bytes >> 20));
    }
}

int adn_chip_same(const char *pci_a, const char *desc_a, const char *pci_b, const char *desc_b) {
    if (*pci_a && *pci_b) return strcmp(pci_a, pci_b) == 0;
    return strcmp(desc_a, desc_b) == 0;
}

int adn_chip_preference(const adn_chip_candidate *c) {
    const char *p = c->platform ? c->platform : "";
    const char *v = c->vendor ? c->vendor : "";
    int portable = adn_contains_ci(p, "portable computing language") ||
                   adn_contains_ci(p, "rusticl") || adn_contains_ci(p, "clover");
    if (c->type == ADNET_DEVICE_CPU)
        return adn_contains_ci(p, "portable computing language") ? 2 : 1;
    /* a GPU: its maker's own driver names the maker in the platform */
    int own = !portable && ((adn_contains_ci(v, "nvidia") && adn_contains_ci(p, "nvidia")) ||
                            (adn_contains_ci(v, "advanced micro") && adn_contains_ci(p, "amd")) ||
                            (adn_contains_ci(v, "amd") && adn_contains_ci(p, "amd")) ||
                            (adn_contains_ci(v, "intel") && adn_contains_ci(p, "intel")));
    return own ? 2 : portable ? 0 : 1;
}

#define MEASURED "measured by adnet tune"

/* Whether a is the better of two devices of one chip, and by which rule (into rule). */
static int better(const adn_chip_candidate *a, const adn_chip_candidate *b, const char **rule) {
    if (a->measured_ms > 0 && b->measured_ms > 0 && a->measured_on && b->measured_on &&
        *a->measured_on && strcmp(a->measured_on, b->measured_on) == 0) {
        *rule = MEASURED;
        return a->measured_ms < b->measured_ms;
    }
    double ea = a->estimated_gflops, eb = b->estimated_gflops;
    if (ea > 0 && eb > 0 && (ea > 1.05 * eb || eb > 1.05 * ea)) {
        *rule = "higher estimated throughput";
        return ea > eb;
    }
    int pa = adn_chip_preference(a), pb = adn_chip_preference(b);
    if (pa != pb) {
        *rule = "preferred driver (not tuned: `adnet tune` on each measures them)";
        return pa > pb;
    }
    *rule = "listed first";
    return 0;
}

void adn_chip_choose(const adn_chip_candidate *c, int n, int *stands_for, char *why,
                     size_t why_cap) {
    for (int i = 0; i < n; i++) {
        stands_for[i] = -2; /* not yet grouped */
        if (why_cap) why[(size_t)i * why_cap] = '\0';
    }
    for (int i = 0; i < n; i++) {
        if (stands_for[i] != -2) continue;
        /* the chip of device i: every later device that is the same hardware */
        int best = i;
        int members = 1;
        for (int j = i + 1; j < n; j++) {
            if (stands_for[j] != -2 || !adn_chip_same(c[i].pci, c[i].desc, c[j].pci, c[j].desc))
                continue;
            members++;
            const char *rule;
            if (better(&c[j], &c[best], &rule)) best = j;
        }
        if (members == 1) {
            stands_for[i] = -1;
            continue;
        }
        /* every left-out device's note says which rule put the chosen one before it */
        for (int j = i; j < n; j++) {
            if (j != i &&
                (stands_for[j] != -2 || !adn_chip_same(c[i].pci, c[i].desc, c[j].pci, c[j].desc)))
                continue;
            stands_for[j] = j == best ? -1 : best;
            if (!why_cap) continue;
            char *w = why + (size_t)j * why_cap;
            const char *chip = *c[j].pci ? c[j].pci : c[j].desc;
            if (j == best) {
                snprintf(w, why_cap, "%d devices expose %s; this one stands for it", members, chip);
            } else {
                const char *r;
                better(&c[best], &c[j], &r);
                if (!strcmp(r, MEASURED))
                    snprintf(w, why_cap,
                             "same chip as [%d] (%s); [%d] kept: %s (%s: %.1f ms against %.1f ms "
                             "here)",
                             best, chip, best, r, c[best].measured_on, c[best].measured_ms,
                             c[j].measured_ms);
                else
                    snprintf(w, why_cap, "same chip as [%d] (%s); [%d] kept: %s", best, chip, best,
                             r);
            }
        }
    }
}
