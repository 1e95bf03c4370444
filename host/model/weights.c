#include "weights.h"

#include "hash.h"
#include "safetensors.h"
#include "status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ADN_WEIGHTS_MAX_RANK == ADN_ST_MAX_RANK, "one rank limit for both layers");

#define DP_PREFIX "module." /* DataParallel's prefix on every name */

/* A tensor of the file under its name without "module.". */
typedef struct wt_entry {
    const char *key;
    const adn_st_tensor *t;
} wt_entry;

struct adn_weights {
    char *path;
    /* a file */
    adn_safetensors *st;
    wt_entry *entries; /* sorted by key; ignored tensors left out */
    int n_entries;
    /* synthetic weights */
    int synthetic;
    adn_arch arch;
    uint64_t seed;
    adn_tensor_desc *descs; /* sorted by name */
    int n_descs;
};

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Tensors a checkpoint carries that inference never reads: the deep-supervision branch and
 * BatchNorm's step counter. */
int adn_weights_ignored_name(const char *key) {
    return starts_with(key, "dsn.") || starts_with(key, "features.dsn.") ||
           !strcmp(key, "num_batches_tracked") || ends_with(key, ".num_batches_tracked");
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const wt_entry *)a)->key, ((const wt_entry *)b)->key);
}

/* By key, then by position in the header, so that duplicates are reported in file order. */
static int cmp_entry_stable(const void *a, const void *b) {
    const wt_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->t > y->t) - (x->t < y->t);
}

static int cmp_desc(const void *a, const void *b) {
    return strcmp(((const adn_tensor_desc *)a)->name, ((const adn_tensor_desc *)b)->name);
}

static void format_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

adnet_status adn_weights_open(const char *path, adn_weights **out) {
    *out = NULL;
    adn_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory opening %s", path);
    }
    adnet_status s = adn_st_open(path, &w->st);
    if (s != ADNET_OK) goto fail;
    int n = adn_st_count(w->st);
    w->entries = calloc(n ? (size_t)n : 1, sizeof *w->entries);
    if (!w->entries) {
        s = adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory opening %s", path);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        const adn_st_tensor *t = adn_st_tensor_at(w->st, i);
        const char *key = starts_with(t->name, DP_PREFIX) ? t->name + strlen(DP_PREFIX) : t->name;
        if (adn_weights_ignored_name(key)) continue;
        w->entries[w->n_entries++] = (wt_entry){key, t};
    }
    qsort(w->entries, (size_t)w->n_entries, sizeof *w->entries, cmp_entry_stable);
    /* "x" and "module.x" in one file: which one the model should read is anyone's guess */
    for (int i = 1; i < w->n_entries; i++) {
        if (!strcmp(w->entries[i - 1].key, w->entries[i].key)) {
            s = adn_fail(ADNET_ERR_FORMAT, "%s: tensor '%s' appears twice (as '%s' and '%s')", path,
                         w->entries[i].key, w->entries[i - 1].t->name, w->entries[i].t->name);
            goto fail;
        }
    }
    *out = w;
    return ADNET_OK;
fail:
    adn_weights_close(w);
    return s;
}

adnet_status adn_weights_synthetic(const adn_arch *arch, uint64_t seed, adn_weights **out) {
    *out = NULL;
    adn_weights *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup("(synthetic)"))) {
        free(w);
        return adn_fail(ADNET_ERR_OUT_OF_MEMORY, "out of memory making synthetic weights");
    }
    adnet_status s = adn_arch_tensors(arch, &w->descs, &w->n_descs);
    if (s != ADNET_OK) {
        adn_weights_close(w);
        return s;
    }
    qsort(w->descs, (size_t)w->n_descs, sizeof *w->descs, cmp_desc);
    w->synthetic = 1;
    w->arch = *arch;
    w->seed = seed;
    *out = w;
    return ADNET_OK;
}

void adn_weights_close(adn_weights *w) {
    if (!w) return;
    adn_st_close(w->st);
    free(w->entries);
    free(w->descs);
    free(w->path);
    free(w);
}

const char *adn_weights_path(const adn_weights *w) {
    return w->path;
}

const char *adn_weights_metadata(const adn_weights *w, const char *key) {
    return w->st ? adn_st_metadata(w->st, key) : NULL;
}

static const wt_entry *find_entry(const adn_weights *w, const char *name) {
    if (starts_with(name, DP_PREFIX)) name += strlen(DP_PREFIX);
    wt_entry key = {name, NULL};
    return bsearch(&key, w->entries, (size_t)w->n_entries, sizeof *w->entries, cmp_entry);
}

static const adn_tensor_desc *find_desc(const adn_weights *w, const char *name) {
    if (starts_with(name, DP_PREFIX)) name += strlen(DP_PREFIX);
    adn_tensor_desc key;
    if (strlen(name) >= sizeof key.name) return NULL;
    snprintf(key.name, sizeof key.name, "%s", name);
    return bsearch(&key, w->descs, (size_t)w->n_descs, sizeof *w->descs, cmp_desc);
}

int adn_weights_shape(const adn_weights *w, const char *name, int *ndim,
                      int64_t shape[ADN_WEIGHTS_MAX_RANK]) {
    if (w->synthetic) {
        const adn_tensor_desc *d = find_desc(w, name);
        if (!d) return 0;
        *ndim = d->ndim;
        for (int i = 0; i < d->ndim; i++) shape[i] = d->shape[i];
        return 1;
    }
    const wt_entry *e = find_entry(w, name);
    if (!e) return 0;
    *ndim = e->t->ndim;
    for (int i = 0; i < e->t->ndim; i++) shape[i] = e->t->shape[i];
    return 1;
}

/* Whether w holds any tensor whose name starts with prefix. */
static int has_prefix(const adn_weights *w, const char *prefix) {
    if (w->synthetic) {
        for (int i = 0; i < w->n_descs; i++)
            if (starts_with(w->descs[i].name, prefix)) return 1;
        return 0;
    }
    for (int i = 0; i < w->n_entries; i++)
        if (starts_with(w->entries[i].key, prefix)) return 1;
    return 0;
}

static int same_shape(int na, const int64_t *a, int nb, const int64_t *b) {
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* Checks presence, shape and dtype of one tensor; returns the matching entry (files). */
static adnet_status check_tensor(const adn_weights *w, const char *name, int ndim,
                                 const int64_t *shape, const wt_entry **entry) {
    int have_ndim = 0;
    int64_t have[ADN_WEIGHTS_MAX_RANK];
    if (!adn_weights_shape(w, name, &have_ndim, have))
        return adn_fail(ADNET_ERR_WEIGHTS, "%s: tensor '%s' is missing", w->path, name);
    if (!same_shape(have_ndim, have, ndim, shape)) {
        char got[256], want[256];
        format_shape(got, sizeof got, have_ndim, have);
        format_shape(want, sizeof want, ndim, shape);
        return adn_fail(ADNET_ERR_WEIGHTS, "%s: tensor '%s' has shape %s, expected %s", w->path,
                        name, got, want);
    }
    if (w->synthetic) return ADNET_OK;
    const wt_entry *e = find_entry(w, name);
    if (e->t->dtype == ADN_ST_OTHER)
        return adn_fail(ADNET_ERR_FORMAT,
                        "%s: tensor '%s' has dtype %s; only F32, F16 and BF16 can be read", w->path,
                        e->t->name, e->t->dtype_name);
    if (entry) *entry = e;
    return ADNET_OK;
}

adnet_status adn_weights_check(const adn_weights *w, const adn_arch *arch) {
    adn_tensor_desc *t;
    int n;
    ADN_TRY(adn_arch_tensors(arch, &t, &n));
    adnet_status first = ADNET_OK;
    char message[1024] = "";
    int others = 0;
    for (int i = 0; i < n; i++) {
        adnet_status s = check_tensor(w, t[i].name, t[i].ndim, t[i].shape, NULL);
        if (s == ADNET_OK) continue;
        if (first == ADNET_OK) {
            first = s;
            snprintf(message, sizeof message, "%s", adnet_last_error());
        } else {
            others++;
        }
    }
    free(t);
    if (first == ADNET_OK) return ADNET_OK;
    if (others)
        return adn_fail(first, "%s (plus %d more tensor%s that do%s not fit the %s R%d model)",
                        message, others, others == 1 ? "" : "s", others == 1 ? "es" : "",
                        adnet_model_kind_name(arch->kind), arch->depth);
    return adn_fail(first, "%s", message);
}

/* ---- synthetic values ------------------------------------------------------------------ */

/* Synthetic weights are a pure function of (seed, tensor name, element index): element i of
 * a tensor is splitmix64's output for key + (i + 1) * golden, where key hashes the seed and
 * the name. No file and no table: any tensor can be produced alone, on any thread, in any
 * order, and the same seed always gives the same network.
 *
 * The scales keep a forward pass finite and its output non-trivial through 23 bottlenecks:
 * - conv weights: uniform with standard deviation sqrt(2 / fan_in) (He), so a conv followed
 *   by a ReLU keeps the mean square of its input;
 * - BN weight: random sign (In-Place ABN uses |w| + eps, and the sign must not matter),
 *   magnitude uniform in [0.5, 1.5]; with running_var uniform in [0.5, 2] the BN gain
 *   |w| / sqrt(var) has mean square about 1;
 * - the last BN of each bottleneck (layerN.B.bn3) has magnitude [0.1, 0.3] instead, so each
 *   residual branch adds a few percent to the stream's variance rather than doubling it;
 * - running_mean, BN bias and conv bias: uniform in [-0.1, 0.1];
 * - the stem's first conv (3 input channels) is scaled by a further 1/100: its input is
 *   mean-subtracted pixel values (RMS about 70), not unit-scale activations, and O(1)
 *   embeddings keep the attention's softmax from collapsing onto one position.
 * Checked with PyTorch on a 201 x 161 frame (R101 ad and R50 base): every stage's RMS stays
 * between 1 and 3, the embedding's about 3, the attention's mean top probability 0.64, and
 * the logits vary over the frame (std about 0.7). */
static uint64_t splitmix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#define GOLDEN 0x9e3779b97f4a7c15ull

static uint64_t synthetic_key(uint64_t seed, const char *name) {
    unsigned char s[8];
    for (int i = 0; i < 8; i++) s[i] = (unsigned char)(seed >> (8 * i));
    return adn_hash_string(adn_hash_bytes(ADN_HASH_INIT, s, sizeof s), name);
}

/* Uniform in [lo, hi) from the top 24 bits (exact in float). */
static float uniform_bits(uint64_t x, float lo, float hi) {
    return lo + (hi - lo) * (float)(x >> 40) * 0x1p-24f;
}

/* The last BN of a bottleneck: "[features.]layerS.B.bn3.weight" (the stem's "bn3.weight" has
 * no "layer" in its name). */
static int is_residual_bn_weight(const char *name) {
    return strstr(name, "layer") && ends_with(name, ".bn3.weight");
}

static void synthetic_fill(uint64_t seed, const adn_tensor_desc *d, float *dst) {
    uint64_t key = synthetic_key(seed, d->name);
    uint64_t count = 1;
    for (int i = 0; i < d->ndim; i++) count *= (uint64_t)d->shape[i];
    enum { CONV_WEIGHT, BN_WEIGHT, BN_WEIGHT_SMALL, VARIANCE, SMALL } kind;
    float bound = 0.1f;
    if (ends_with(d->name, ".running_var")) {
        kind = VARIANCE;
    } else if (ends_with(d->name, ".weight") && d->ndim == 4) {
        kind = CONV_WEIGHT;
        double fan_in = (double)(d->shape[1] * d->shape[2] * d->shape[3]);
        /* uniform on [-a, a] has std a / sqrt(3) */
        bound = (float)sqrt(6.0 / fan_in);
        if (d->shape[1] == 3) bound *= 0.01f; /* the stem's first conv: see above */
    } else if (ends_with(d->name, ".weight")) {
        kind = is_residual_bn_weight(d->name) ? BN_WEIGHT_SMALL : BN_WEIGHT;
    } else {
        kind = SMALL; /* running_mean, BN bias, conv bias */
    }
    for (uint64_t i = 0; i < count; i++) {
        uint64_t x = splitmix64(key + (i + 1) * GOLDEN);
        float v;
        switch (kind) {
            case CONV_WEIGHT:
                v = uniform_bits(x, -bound, bound);
                break;
            case VARIANCE:
                v = uniform_bits(x, 0.5f, 2.0f);
                break;
            case BN_WEIGHT:
            case BN_WEIGHT_SMALL: {
                float m =
                    kind == BN_WEIGHT ? uniform_bits(x, 0.5f, 1.5f) : uniform_bits(x, 0.1f, 0.3f);
                v = (x & 1) ? -m : m;
                break;
            }
            default:
                v = uniform_bits(x, -bound, bound);
                break;
        }
        dst[i] = v;
    }
}

adnet_status adn_weights_read(const adn_weights *w, const char *name, int ndim,
                              const int64_t *shape, float *dst) {
    const wt_entry *e = NULL;
    ADN_TRY(check_tensor(w, name, ndim, shape, &e));
    if (w->synthetic) {
        synthetic_fill(w->seed, find_desc(w, name), dst);
        return ADNET_OK;
    }
    return adn_st_read_f32(w->st, e->t, dst);
}

/* ---- architecture inference ------------------------------------------------------------ */

/* Parses a whole decimal integer metadata value. */
static int parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 1000000) return 0;
    *out = (int)v;
    return 1;
}

/* Whether kind fits the classifier the file has (cls_in = 0: none). */
static int kind_fits(adnet_model_kind kind, int cls_in, int embed) {
    switch (kind) {
        case ADNET_MODEL_BASE:
            return cls_in == 0;
        case ADNET_MODEL_AD:
            return cls_in > 0 && cls_in == 3 * embed;
        default:
            return cls_in > 0 && cls_in == 2 * embed;
    }
}

adnet_status adn_weights_arch(const adn_weights *w, adnet_model_kind forced, adn_arch *arch) {
    const char *path = w->path;
    int nd;
    int64_t sh[ADN_WEIGHTS_MAX_RANK];
    memset(arch, 0, sizeof *arch);

    /* the backbone's prefix: "features." in the attention/concat models, none in base */
    int with_features = adn_weights_shape(w, "features.layer3.0.conv1.weight", &nd, sh);
    int without = adn_weights_shape(w, "layer3.0.conv1.weight", &nd, sh);
    if (with_features && without)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: holds both 'features.layer3.0.conv1.weight' and "
                        "'layer3.0.conv1.weight'; the backbone's naming is ambiguous",
                        path);
    if (!with_features && !without)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: tensor 'features.layer3.0.conv1.weight' (or 'layer3.0.conv1.weight' "
                        "for base) is missing: not an AD-Net checkpoint",
                        path);
    const char *prefix = with_features ? "features." : "";

    /* an architecture described in the metadata ("adnet.arch", JSON) replaces the released
     * one; the shapes of every tensor are then checked against it (adn_weights_check) */
    const char *described = adn_weights_metadata(w, "adnet.arch");
    adn_arch custom;
    if (described && adn_arch_parse(described, ADNET_MODEL_AD, &custom) != ADNET_OK)
        return adn_fail_context(ADNET_ERR_FORMAT, "%s: metadata \"adnet.arch\": ", path);

    /* depth: the number of layer3 blocks, read from the highest block index present, so a
     * tensor missing from a middle block is reported by name later rather than mistaken for
     * a shorter backbone */
    char name[128];
    int blocks = 0;
    static const char *const block_tensors[] = {"conv1.weight", "conv2.weight", "conv3.weight",
                                                "bn1.weight",   "bn2.weight",   "bn3.weight"};
    for (int b = 0; b < 64; b++)
        for (size_t t = 0; t < sizeof block_tensors / sizeof block_tensors[0]; t++) {
            snprintf(name, sizeof name, "%slayer3.%d.%s", prefix, b, block_tensors[t]);
            if (adn_weights_shape(w, name, &nd, sh)) {
                blocks = b + 1;
                break;
            }
        }
    int depth = blocks == 6 ? 50 : blocks == 23 ? 101 : 0;
    if (described) {
        if (blocks != custom.blocks[2])
            return adn_fail(ADNET_ERR_WEIGHTS,
                            "%s: %d layer3 blocks (%slayer3.0 to %slayer3.%d), but metadata "
                            "\"adnet.arch\" describes %d",
                            path, blocks, prefix, prefix, blocks - 1, custom.blocks[2]);
        depth = custom.depth;
    } else if (!depth)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: %d layer3 blocks (%slayer3.0 to %slayer3.%d); expected 6 (ResNet-50) "
                        "or 23 (ResNet-101)",
                        path, blocks, prefix, prefix, blocks - 1);

    /* E: the head's output channels */
    snprintf(name, sizeof name, "%shead.1.weight", prefix);
    if (!adn_weights_shape(w, name, &nd, sh))
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: tensor '%s' is missing (its shape gives the embedding size E)", path,
                        name);
    if (nd != 4 || sh[0] < 1 || sh[0] > 4096) {
        char got[256];
        format_shape(got, sizeof got, nd, sh);
        return adn_fail(ADNET_ERR_WEIGHTS, "%s: tensor '%s' has shape %s, expected [E, %d, 1, 1]",
                        path, name, got, described ? custom.aspp : 512);
    }
    int embed = (int)sh[0];
    if (described && embed != custom.embed)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: tensor '%s' gives E = %d, but metadata \"adnet.arch\" says E = %d",
                        path, name, embed, custom.embed);

    /* the classifier: none in base, 3E input channels in ad, 2E in inter, intra, concat */
    int cls_in = 0;
    if (adn_weights_shape(w, "cls.0.weight", &nd, sh)) {
        if (nd != 4 || sh[1] < 1 || sh[1] > 3 * 4096) {
            char got[256];
            format_shape(got, sizeof got, nd, sh);
            return adn_fail(ADNET_ERR_WEIGHTS,
                            "%s: tensor 'cls.0.weight' has shape %s, expected [128, 3E or 2E, 1, "
                            "1]",
                            path, got);
        }
        cls_in = (int)sh[1];
        if (cls_in != 3 * embed && cls_in != 2 * embed)
            return adn_fail(ADNET_ERR_WEIGHTS,
                            "%s: classifier cls.0.weight takes %d input channels, which fits no "
                            "model with E = %d (ad: 3E = %d; inter, intra, concat: 2E = %d)",
                            path, cls_in, embed, 3 * embed, 2 * embed);
    } else if (has_prefix(w, "cls.")) {
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: tensor 'cls.0.weight' is missing (the file has other cls.* tensors)",
                        path);
    }
    if (cls_in && !with_features)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: has a classifier (cls.*) but its backbone tensors lack the "
                        "'features.' prefix that the models with a classifier use",
                        path);
    if (!cls_in && with_features)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: backbone tensors are named 'features.*' but there is no classifier "
                        "(tensor 'cls.0.weight' is missing)",
                        path);

    /* the model: requested, else declared in the metadata, else decided by the shapes */
    adnet_model_kind kind = forced;
    const char *source = "requested";
    if (kind == ADNET_MODEL_UNKNOWN) {
        const char *m = adn_weights_metadata(w, "model");
        source = "named in the metadata";
        if (m) {
            kind = adnet_model_kind_parse(m);
            if (kind == ADNET_MODEL_UNKNOWN)
                return adn_fail(ADNET_ERR_FORMAT,
                                "%s: metadata \"model\" is '%s', not one of ad, inter, intra, "
                                "concat, base",
                                path, m);
        } else if (w->synthetic) {
            kind = w->arch.kind;
            source = "of the synthetic weights";
        }
    }
    if (kind != ADNET_MODEL_UNKNOWN && !adnet_model_kind_name(kind))
        return adn_fail(ADNET_ERR_INVALID_ARGUMENT, "unknown model kind %d", (int)kind);
    if (kind == ADNET_MODEL_UNKNOWN) {
        if (!cls_in)
            kind = ADNET_MODEL_BASE;
        else if (cls_in == 3 * embed)
            kind = ADNET_MODEL_AD;
        else
            return adn_fail(ADNET_ERR_WEIGHTS,
                            "%s: cannot tell inter, intra and concat apart (their tensors are "
                            "identical; cls.0.weight takes 2E = %d channels) and the file has no "
                            "\"model\" metadata: name the model (--model inter, intra or concat)",
                            path, cls_in);
    } else if (!kind_fits(kind, cls_in, embed)) {
        const char *kn = adnet_model_kind_name(kind);
        char want[64], have[96];
        if (kind == ADNET_MODEL_BASE)
            snprintf(want, sizeof want, "base has none");
        else
            snprintf(want, sizeof want, "%s's takes %s = %d", kn,
                     kind == ADNET_MODEL_AD ? "3E" : "2E",
                     (kind == ADNET_MODEL_AD ? 3 : 2) * embed);
        if (cls_in)
            snprintf(have, sizeof have, "its classifier cls.0.weight takes %d input channels",
                     cls_in);
        else
            snprintf(have, sizeof have, "it has no classifier (a base checkpoint)");
        return adn_fail(ADNET_ERR_WEIGHTS, "%s: model %s (%s) does not fit: %s, %s", path, kn,
                        source, have, want);
    }
    if (kind == ADNET_MODEL_BASE && embed != 1)
        return adn_fail(ADNET_ERR_WEIGHTS,
                        "%s: base's head outputs 1 channel (the logit), but '%shead.1.weight' "
                        "has %d output channels",
                        path, prefix, embed);

    /* metadata that states depth or E must agree with the shapes */
    const char *keys[2] = {"depth", "embed"};
    const int found[2] = {depth, embed};
    for (int i = 0; i < 2; i++) {
        const char *v = adn_weights_metadata(w, keys[i]);
        int declared;
        if (!v) continue;
        if (!parse_int(v, &declared))
            return adn_fail(ADNET_ERR_FORMAT, "%s: metadata \"%s\" is '%s', not an integer", path,
                            keys[i], v);
        if (declared != found[i])
            return adn_fail(ADNET_ERR_WEIGHTS,
                            "%s: metadata \"%s\" is %d but the tensors give %d (%d layer3 blocks, "
                            "E = %d)",
                            path, keys[i], declared, found[i], blocks, embed);
    }

    adnet_status s =
        described ? adn_arch_parse(described, kind, arch) : adn_arch_make(kind, depth, embed, arch);
    if (s != ADNET_OK) return adn_fail_context(ADNET_ERR_WEIGHTS, "%s: ", path);
    return ADNET_OK;
}

adnet_status adn_weights_open_checked(const char *path, adnet_model_kind kind, adn_weights **out,
                                      adn_arch *arch) {
    *out = NULL;
    adn_weights *w;
    ADN_TRY(adn_weights_open(path, &w));
    adnet_status st = adn_weights_arch(w, kind, arch);
    if (st == ADNET_OK) st = adn_weights_check(w, arch);
    if (st != ADNET_OK) {
        adn_weights_close(w);
        return st;
    }
    *out = w;
    return ADNET_OK;
}
