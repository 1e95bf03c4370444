/* The command line's value parsers: --size WxH, integers, --shard I/N, model names and device
 * specs (index, type, name substring, lists, splits "cpu/2", "all"), resolved against the
 * machine's real device list as `adnet --device` resolves them. */
#include "fuzz_util.h"

#include "args.h"
#include "device_select.h"
#include "status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fz_string(data, size);
    int w, h, i, n;
    if (cli_parse_size(s, &w, &h) == 0 && (w < 1 || h < 1 || w > 16384 || h > 16384)) abort();
    if (cli_parse_int(s, &i) == 0 && i < 0) abort();
    if (cli_parse_shard(s, &i, &n) == 0 && (i < 0 || i >= n)) abort();
    (void)adnet_model_kind_parse(s);
    int idx[16];
    if (adn_device_select_many(s, idx, 16, &n) == ADNET_OK && (n < 1 || n > 16)) abort();
    adn_device_entry *list;
    if (adn_device_list_resolve(s, &list, &n) == ADNET_OK) adn_device_list_free(list, n);
    free(s);
    adn_clear_error();
    return 0;
}
