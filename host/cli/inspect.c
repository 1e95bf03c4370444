/* adnet inspect: what a safetensors weights file holds and whether adnet can run it. */
#include "args.h"
#include "commands.h"

#include "arch.h"
#include "safetensors.h"
#include "weights.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DP_PREFIX "module."

typedef enum problem_kind { MISSING, WRONG_SHAPE, BAD_DTYPE, UNKNOWN } problem_kind;

static const char *const problem_label[] = {"missing", "wrong shape", "unreadable dtype",
                                            "unknown"};

typedef struct problem {
    problem_kind kind;
    const char *name; /* the file's name, or the architecture's for a missing tensor */
    int ndim;         /* the file's shape (the expected one for a missing tensor) */
    const int64_t *shape;
    int want_ndim;
    const int64_t *want_shape;
    const char *dtype;
} problem;

typedef struct report {
    const char *path;
    long long file_bytes;
    const adn_safetensors *st;
    int n_ignored;
    uint64_t file_values; /* elements of every tensor in the file */
    int arch_ok;
    adn_arch arch;
    const char *model_source;
    int model_undecided; /* inter, intra and concat share their tensors: no metadata, no --model */
    char arch_error[1024];
    adn_tensor_desc *tensors; /* the architecture's, sorted by name */
    int n_tensors;
    problem *problems;
    int n_problems;
    int n_blocking; /* problems that stop adnet from loading the file */
} report;

static const char *strip_prefix(const char *name) {
    return strncmp(name, DP_PREFIX, strlen(DP_PREFIX)) ? name : name + strlen(DP_PREFIX);
}

static int cmp_desc(const void *a, const void *b) {
    return strcmp(((const adn_tensor_desc *)a)->name, ((const adn_tensor_desc *)b)->name);
}

static const adn_tensor_desc *find_desc(const report *r, const char *name) {
    adn_tensor_desc key;
    if (strlen(name) >= sizeof key.name) return NULL;
    snprintf(key.name, sizeof key.name, "%s", name);
    return bsearch(&key, r->tensors, (size_t)r->n_tensors, sizeof *r->tensors, cmp_desc);
}

static const adn_st_tensor *find_tensor(const adn_safetensors *st, const char *name) {
    const adn_st_tensor *t = adn_st_find(st, name);
    if (t) return t;
    char prefixed[256];
    snprintf(prefixed, sizeof prefixed, DP_PREFIX "%s", name);
    return adn_st_find(st, prefixed);
}

static void format_shape(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

static void add_problem(report *r, problem p) {
    r->problems[r->n_problems++] = p;
    if (p.kind != UNKNOWN) r->n_blocking++;
}

/* The model: --model, else the metadata, else the shapes. inter, intra and concat cannot be
 * told apart by their tensors; without a name the file is checked as inter (the same tensors)
 * and reported as undecided. */
static int decide_model(report *r, const adn_weights *w, adnet_model_kind forced) {
    adnet_model_kind kind = forced;
    r->model_source = "requested with --model";
    if (kind == ADNET_MODEL_UNKNOWN && adn_weights_metadata(w, "model")) {
        r->model_source = "from the metadata";
    } else if (kind == ADNET_MODEL_UNKNOWN) {
        r->model_source = "from the shapes";
        int nd, nd_cls;
        int64_t head[ADN_WEIGHTS_MAX_RANK], cls[ADN_WEIGHTS_MAX_RANK];
        if (adn_weights_shape(w, "features.head.1.weight", &nd, head) && nd == 4 &&
            adn_weights_shape(w, "cls.0.weight", &nd_cls, cls) && nd_cls == 4 &&
            cls[1] == 2 * head[0]) {
            kind = ADNET_MODEL_INTER;
            r->model_undecided = 1;
        }
    }
    if (adn_weights_arch(w, kind, &r->arch) != ADNET_OK) {
        snprintf(r->arch_error, sizeof r->arch_error, "%s", adnet_last_error());
        return 0;
    }
    return 1;
}

static int check_tensors(report *r) {
    if (adn_arch_tensors(&r->arch, &r->tensors, &r->n_tensors) != ADNET_OK) return -1;
    qsort(r->tensors, (size_t)r->n_tensors, sizeof *r->tensors, cmp_desc);
    int n_file = adn_st_count(r->st);
    r->problems = calloc((size_t)(r->n_tensors + n_file) + 1, sizeof *r->problems);
    if (!r->problems) return -1;
    for (int i = 0; i < r->n_tensors; i++) {
        const adn_tensor_desc *d = &r->tensors[i];
        const adn_st_tensor *t = find_tensor(r->st, d->name);
        problem p = {0};
        p.want_ndim = d->ndim;
        p.want_shape = d->shape;
        if (!t) {
            p.kind = MISSING;
            p.name = d->name;
            p.ndim = d->ndim;
            p.shape = d->shape;
            add_problem(r, p);
            continue;
        }
        p.name = t->name;
        p.ndim = t->ndim;
        p.shape = t->shape;
        p.dtype = t->dtype_name;
        int same = t->ndim == d->ndim;
        for (int k = 0; same && k < d->ndim; k++) same = t->shape[k] == d->shape[k];
        if (!same) {
            p.kind = WRONG_SHAPE;
            add_problem(r, p);
        } else if (t->dtype == ADN_ST_OTHER) {
            p.kind = BAD_DTYPE;
            add_problem(r, p);
        }
    }
    for (int i = 0; i < n_file; i++) {
        const adn_st_tensor *t = adn_st_tensor_at(r->st, i);
        const char *key = strip_prefix(t->name);
        if (adn_weights_ignored_name(key) || find_desc(r, key)) continue;
        problem p = {UNKNOWN, t->name, t->ndim, t->shape, 0, NULL, t->dtype_name};
        add_problem(r, p);
    }
    return 0;
}

/* Counts of tensors per dtype, in order of first appearance. */
typedef struct dtype_count {
    const char *name;
    int n;
} dtype_count;

static int count_dtypes(const adn_safetensors *st, dtype_count *out, int cap) {
    int n = 0;
    for (int i = 0; i < adn_st_count(st); i++) {
        const char *d = adn_st_tensor_at(st, i)->dtype_name;
        int k = 0;
        while (k < n && strcmp(out[k].name, d)) k++;
        if (k == n) {
            if (n == cap) continue;
            out[n++] = (dtype_count){d, 0};
        }
        out[k].n++;
    }
    return n;
}

static void print_count(unsigned long long v) {
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", v);
    size_t len = strlen(digits);
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) putchar(',');
        putchar(digits[i]);
    }
}

static void print_text(const report *r) {
    printf("file        %s (", r->path);
    print_count((unsigned long long)r->file_bytes);
    printf(" bytes, %.1f MiB)\n", (double)r->file_bytes / (1024.0 * 1024.0));
    dtype_count dc[16];
    int nd = count_dtypes(r->st, dc, 16);
    printf("tensors     %d (", adn_st_count(r->st));
    for (int i = 0; i < nd; i++) printf("%s%s: %d", i ? ", " : "", dc[i].name, dc[i].n);
    printf(nd ? ")" : "none)");
    if (r->n_ignored) printf("; %d never read (dsn.*, num_batches_tracked)", r->n_ignored);
    printf("\nvalues      ");
    print_count((unsigned long long)r->file_values);
    printf(" in the file\n");
    int nm = adn_st_metadata_count(r->st);
    /* one entry a line: values may be long (a JSON architecture, a provenance record) */
    printf("metadata    %s", nm ? "" : "(none)\n");
    for (int i = 0; i < nm; i++) {
        const char *k, *v;
        adn_st_metadata_at(r->st, i, &k, &v);
        printf("%s%s=%s\n", i ? "            " : "", k, v);
    }
    if (!r->arch_ok) {
        printf("model       (none: %s)\n", r->arch_error);
        return;
    }
    if (r->model_undecided)
        printf("model       inter, intra or concat (their tensors are identical and the file "
               "names none: run it with --model)\n");
    else
        printf("model       %s (%s)\n", adnet_model_kind_name(r->arch.kind), r->model_source);
    const adn_arch *a = &r->arch;
    printf("depth       %d (ResNet-%d: blocks %d %d %d %d; %s)\n", a->depth, a->depth, a->blocks[0],
           a->blocks[1], a->blocks[2], a->blocks[3],
           a->released ? "the released backbone" : "described by metadata \"adnet.arch\"");
    printf("backbone    stem %d %d %d, planes %d %d %d %d (x%d), dilations %d %d %d %d, "
           "multi-grid %d %d %d\n",
           a->stem[0], a->stem[1], a->stem[2], a->planes[0], a->planes[1], a->planes[2],
           a->planes[3], a->expansion, a->dilations[0], a->dilations[1], a->dilations[2],
           a->dilations[3], a->multi_grid[0], a->multi_grid[1], a->multi_grid[2]);
    printf("head        ASPP %d wide, rates %d %d %d\n", a->aspp, a->aspp_rates[0],
           a->aspp_rates[1], a->aspp_rates[2]);
    printf("E           %d\n", a->embed);
    if (a->cls_in) printf("classifier  %d -> %d -> 1\n", a->cls_in, a->cls_hidden);
    printf("parameters  ");
    print_count((unsigned long long)adn_arch_param_count(&r->arch));
    printf(" read at inference, in %d tensors\n", r->n_tensors);
    for (int i = 0; i < r->n_problems; i++) {
        const problem *p = &r->problems[i];
        char have[128], want[128];
        format_shape(have, sizeof have, p->ndim, p->shape);
        printf("%-16s %s ", problem_label[p->kind], p->name);
        switch (p->kind) {
            case MISSING:
                printf("%s\n", have);
                break;
            case WRONG_SHAPE:
                format_shape(want, sizeof want, p->want_ndim, p->want_shape);
                printf("%s in the file, %s expected\n", have, want);
                break;
            case BAD_DTYPE:
                printf("%s: %s cannot be read as float32 (F32, F16, BF16)\n", have, p->dtype);
                break;
            case UNKNOWN:
                printf("%s %s: not part of the architecture, never read\n", have, p->dtype);
                break;
        }
    }
    if (!r->n_blocking)
        printf("check       every tensor the model reads is there, with its shape and a readable "
               "dtype\n");
}

static cJSON *shape_json(int ndim, const int64_t *shape) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < ndim; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)shape[i]));
    return a;
}

static void print_json(const report *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", r->path);
    cJSON_AddNumberToObject(o, "file_bytes", (double)r->file_bytes);
    cJSON_AddNumberToObject(o, "tensors", adn_st_count(r->st));
    cJSON_AddNumberToObject(o, "ignored_tensors", r->n_ignored);
    cJSON_AddNumberToObject(o, "file_values", (double)r->file_values);
    dtype_count dc[16];
    int nd = count_dtypes(r->st, dc, 16);
    cJSON *dt = cJSON_AddObjectToObject(o, "dtypes");
    for (int i = 0; i < nd; i++) cJSON_AddNumberToObject(dt, dc[i].name, dc[i].n);
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    for (int i = 0; i < adn_st_metadata_count(r->st); i++) {
        const char *k, *v;
        adn_st_metadata_at(r->st, i, &k, &v);
        cJSON_AddStringToObject(meta, k, v);
    }
    if (r->arch_ok) {
        if (r->model_undecided)
            cJSON_AddNullToObject(o, "model");
        else
            cJSON_AddStringToObject(o, "model", adnet_model_kind_name(r->arch.kind));
        cJSON_AddStringToObject(o, "model_source",
                                r->model_undecided ? "undecided: inter, intra "
                                                     "or concat"
                                                   : r->model_source);
        cJSON_AddNumberToObject(o, "depth", r->arch.depth);
        cJSON_AddNumberToObject(o, "embed", r->arch.embed);
        char arch[512];
        adn_arch_format(&r->arch, arch, sizeof arch);
        cJSON_AddItemToObject(o, "architecture", cJSON_Parse(arch));
        cJSON_AddBoolToObject(o, "released_architecture", r->arch.released);
        cJSON_AddNumberToObject(o, "parameters", (double)adn_arch_param_count(&r->arch));
    } else {
        cJSON_AddStringToObject(o, "error", r->arch_error);
    }
    static const char *const keys[] = {"missing", "wrong_shape", "unreadable_dtype", "unknown"};
    cJSON *lists[4];
    for (int k = 0; k < 4; k++) lists[k] = cJSON_AddArrayToObject(o, keys[k]);
    for (int i = 0; i < r->n_problems; i++) {
        const problem *p = &r->problems[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", p->name);
        cJSON_AddItemToObject(e, "shape", shape_json(p->ndim, p->shape));
        if (p->kind == WRONG_SHAPE)
            cJSON_AddItemToObject(e, "expected", shape_json(p->want_ndim, p->want_shape));
        if (p->dtype) cJSON_AddStringToObject(e, "dtype", p->dtype);
        cJSON_AddItemToArray(lists[p->kind], e);
    }
    cJSON_AddBoolToObject(o, "usable", r->arch_ok && !r->n_blocking);
    char *text = cJSON_Print(o);
    if (text) printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

int cmd_inspect(int argc, char **argv) {
    const char *model_name = NULL;
    int json = 0;
    cli_option opts[] = {
        {"model", "NAME",
         "check against this model (ad, inter, intra, concat, base) instead of "
         "the metadata's",
         &model_name, NULL},
        {"json", NULL, "print the report as JSON", NULL, &json},
    };
    cli_command cmd = {
        "adnet inspect",
        "W.safetensors [--model NAME] [--json]",
        "Describes a weights file (size, dtypes, metadata, model, depth, E, parameters) and "
        "lists every\ntensor that does not fit the architecture: missing, of the wrong shape "
        "or dtype, or unknown.\nThe deep-supervision tensors dsn.* and num_batches_tracked are "
        "expected extras, never read.",
        "Exit status: 0 adnet can run the file, 1 it cannot (or it cannot be read), 2 bad "
        "command line.\n",
        opts,
        (int)(sizeof opts / sizeof opts[0]),
        1,
        1};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    adnet_model_kind forced = ADNET_MODEL_UNKNOWN;
    if (model_name && (forced = adnet_model_kind_parse(model_name)) == ADNET_MODEL_UNKNOWN)
        return cli_usage_error(&cmd, "unknown --model '%s' (ad, inter, intra, concat, base)",
                               model_name);

    report r;
    memset(&r, 0, sizeof r);
    r.path = pos[0];
    adn_safetensors *st;
    int s = adn_st_open(r.path, &st);
    if (s != ADNET_OK) return cli_fail(s);
    adn_weights *w;
    s = adn_weights_open(r.path, &w);
    if (s != ADNET_OK) {
        adn_st_close(st);
        return cli_fail(s);
    }
    r.st = st;
    struct stat sb;
    r.file_bytes = stat(r.path, &sb) == 0 ? (long long)sb.st_size : -1;
    for (int i = 0; i < adn_st_count(st); i++) {
        const adn_st_tensor *t = adn_st_tensor_at(st, i);
        r.file_values += t->numel;
        if (adn_weights_ignored_name(strip_prefix(t->name))) r.n_ignored++;
    }
    r.arch_ok = decide_model(&r, w, forced);
    rc = CLI_EXIT_OK;
    if (r.arch_ok && check_tensors(&r) != 0) {
        fprintf(stderr, "adnet: out of host memory\n");
        rc = CLI_EXIT_FAILURE;
    } else {
        if (json)
            print_json(&r);
        else
            print_text(&r);
        if (!r.arch_ok) {
            fprintf(stderr, "adnet: %s\n", r.arch_error);
            rc = CLI_EXIT_FAILURE;
        } else if (r.n_blocking) {
            fprintf(stderr, "adnet: %s: %d tensor%s do%s not fit the %s R%d model (E = %d)\n",
                    r.path, r.n_blocking, r.n_blocking == 1 ? "" : "s",
                    r.n_blocking == 1 ? "es" : "", adnet_model_kind_name(r.arch.kind), r.arch.depth,
                    r.arch.embed);
            rc = CLI_EXIT_FAILURE;
        }
    }
    free(r.tensors);
    free(r.problems);
    adn_weights_close(w);
    adn_st_close(st);
    return rc;
}
