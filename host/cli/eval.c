/* adnet eval: DAVIS-2016 scores of a results folder, as a table, JSON and CSV. */
#include "args.h"
#include "commands.h"

#include "evaluate.h"
#include "files.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- heat maps beside the masks ----------------------------------------------------------- */

/* OUT/masks -> OUT/heatmaps, the layout adnet writes; NULL when there is no such folder (or it
 * is the results folder itself). The result is malloc'd. */
static char *heatmaps_beside(const char *results) {
    size_t n = strlen(results);
    while (n > 1 && results[n - 1] == '/') n--;
    size_t cut = n;
    while (cut > 0 && results[cut - 1] != '/') cut--;
    char *path = malloc(cut + 16);
    if (!path) return NULL;
    if (cut == 0)
        snprintf(path, cut + 16, "heatmaps");
    else
        snprintf(path, cut + 16, "%.*sheatmaps", (int)cut, results);
    struct stat a, b;
    if (stat(path, &a) != 0 || !S_ISDIR(a.st_mode) || stat(results, &b) != 0 ||
        (a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
        free(path);
        return NULL;
    }
    return path;
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* The shortest %g form that reads back as the same double ("nan" never: callers test). */
static void shortest(char *dst, size_t cap, double v) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(dst, cap, "%.*g", prec, v);
        if (strtod(dst, NULL) == v) return;
    }
}

/* A table cell: three decimals, "-" when undefined. */
static void cell(char *dst, size_t cap, double v) {
    if (isnan(v))
        snprintf(dst, cap, "-");
    else
        snprintf(dst, cap, "%.3f", v);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* A number written so that it reads back as the same double: cJSON's own printing stops at 15
 * digits whenever they come within an epsilon, which moves the last bit of some scores.
 * Undefined values (NaN: F-max without foreground) are null. */
static void add_num(cJSON *o, const char *key, double v) {
    char text[40] = "null";
    if (isfinite(v)) shortest(text, sizeof text, v);
    cJSON_AddRawToObject(o, key, text);
}

static cJSON *stats_json(const adn_measure_stats *s) {
    cJSON *o = cJSON_CreateObject();
    add_num(o, "mean", s->mean);
    add_num(o, "recall", s->recall);
    add_num(o, "decay", s->decay);
    return o;
}

static cJSON *frame_list_json(const adn_eval_video *v, const int *idx, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v->frames[idx[i]]));
    return a;
}

static char *eval_json(const adn_eval *e, const adn_eval_options *o, const char *set) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "results", o->results);
    cJSON_AddStringToObject(root, "davis", o->davis);
    cJSON_AddStringToObject(root, "set", set);
    if (o->heatmaps)
        cJSON_AddStringToObject(root, "heatmaps", o->heatmaps);
    else
        cJSON_AddNullToObject(root, "heatmaps");
    cJSON_AddNumberToObject(root, "threshold", o->threshold);
    cJSON *seqs = cJSON_AddArrayToObject(root, "sequences");
    for (int i = 0; i < e->n_videos; i++) {
        const adn_eval_video *v = &e->videos[i];
        const adn_sequence_metrics *s = adn_metrics_sequence(e->metrics, i);
        cJSON *sj = cJSON_CreateObject();
        cJSON_AddStringToObject(sj, "name", v->name);
        cJSON_AddNumberToObject(sj, "n_frames", v->n_frames);
        cJSON_AddItemToObject(sj, "J", stats_json(&s->j));
        cJSON_AddItemToObject(sj, "F", stats_json(&s->f));
        add_num(sj, "JF_mean", (s->j.mean + s->f.mean) / 2.0);
        add_num(sj, "released_iou", s->released_iou);
        if (s->has_saliency) {
            cJSON *sal = cJSON_AddObjectToObject(sj, "saliency");
            add_num(sal, "mae", s->mae);
            add_num(sal, "fmax", s->fmax);
        }
        cJSON_AddBoolToObject(sj, "results_folder_missing", v->results_dir_missing);
        cJSON_AddItemToObject(sj, "missing_frames", frame_list_json(v, v->missing, v->n_missing));
        if (e->has_heatmaps) {
            cJSON_AddBoolToObject(sj, "heatmaps_folder_missing", v->heatmaps_dir_missing);
            cJSON_AddItemToObject(sj, "missing_heatmaps",
                                  frame_list_json(v, v->missing_heat, v->n_missing_heat));
        }
        cJSON *ign = cJSON_AddArrayToObject(sj, "ignored_files");
        for (int k = 0; k < v->n_ignored; k++)
            cJSON_AddItemToArray(ign, cJSON_CreateString(v->ignored[k]));
        cJSON *frames = cJSON_AddArrayToObject(sj, "frames");
        for (int k = 0; k < v->n_frames; k++) {
            const adn_frame_metrics *f = &s->frames[k];
            cJSON *fj = cJSON_CreateObject();
            cJSON_AddStringToObject(fj, "name", v->frames[k]);
            add_num(fj, "J", f->j);
            add_num(fj, "F", f->f);
            add_num(fj, "precision", f->precision);
            add_num(fj, "recall", f->recall);
            cJSON_AddItemToArray(frames, fj);
        }
        cJSON_AddItemToArray(seqs, sj);
    }
    const adn_dataset_metrics *d = &e->dataset;
    cJSON *dj = cJSON_AddObjectToObject(root, "dataset");
    cJSON_AddNumberToObject(dj, "n_sequences", d->n_sequences);
    cJSON_AddItemToObject(dj, "J", stats_json(&d->j));
    cJSON_AddItemToObject(dj, "F", stats_json(&d->f));
    add_num(dj, "JF_mean", d->jf_mean);
    add_num(dj, "released_iou", d->released_iou);
    if (d->has_saliency) {
        cJSON *sal = cJSON_AddObjectToObject(dj, "saliency");
        add_num(sal, "mae", d->mae);
        add_num(sal, "fmax", d->fmax);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

/* ---- CSV ------------------------------------------------------------------------------------- */

typedef struct text_buf {
    char *s;
    size_t n, cap;
    int failed;
} text_buf;

static void tb_printf(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tb_printf(text_buf *b, const char *fmt, ...) {
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
}

static void tb_num(text_buf *b, double v) {
    char num[40] = "";
    if (!isnan(v)) shortest(num, sizeof num, v);
    tb_printf(b, ",%s", num);
}

/* Names are quoted the CSV way when they hold a comma, a quote or a line break. */
static void tb_name(text_buf *b, const char *name) {
    if (!strpbrk(name, ",\"\r\n")) {
        tb_printf(b, "%s", name);
        return;
    }
    tb_printf(b, "\"");
    for (const char *p = name; *p; p++) tb_printf(b, *p == '"' ? "\"\"" : "%c", *p);
    tb_printf(b, "\"");
}

static void csv_row(text_buf *b, const char *name, int n_frames, int missing,
                    const adn_measure_stats *j, const adn_measure_stats *f, double iou, double mae,
                    double fmax) {
    tb_name(b, name);
    tb_printf(b, ",%d,%d", n_frames, missing);
    tb_num(b, (j->mean + f->mean) / 2.0);
    tb_num(b, j->mean);
    tb_num(b, j->recall);
    tb_num(b, j->decay);
    tb_num(b, f->mean);
    tb_num(b, f->recall);
    tb_num(b, f->decay);
    tb_num(b, iou);
    tb_num(b, mae);
    tb_num(b, fmax);
    tb_printf(b, "\n");
}

static char *eval_csv(const adn_eval *e) {
    text_buf b = {0};
    tb_printf(&b, "sequence,frames,missing_frames,JF_mean,J_mean,J_recall,J_decay,F_mean,"
                  "F_recall,F_decay,released_iou,MAE,F_max\n");
    int frames = 0, missing = 0;
    for (int i = 0; i < e->n_videos; i++) {
        const adn_eval_video *v = &e->videos[i];
        const adn_sequence_metrics *s = adn_metrics_sequence(e->metrics, i);
        csv_row(&b, v->name, v->n_frames, v->n_missing, &s->j, &s->f, s->released_iou,
                s->has_saliency ? s->mae : NAN, s->has_saliency ? s->fmax : NAN);
        frames += v->n_frames;
        missing += v->n_missing;
    }
    const adn_dataset_metrics *d = &e->dataset;
    csv_row(&b, "(overall)", frames, missing, &d->j, &d->f, d->released_iou,
            d->has_saliency ? d->mae : NAN, d->has_saliency ? d->fmax : NAN);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* ---- the terminal ---------------------------------------------------------------------------- */

static void print_row(int width, const char *name, const adn_measure_stats *j,
                      const adn_measure_stats *f, double iou, int saliency, double mae,
                      double fmax) {
    double vals[8] = {
        (j->mean + f->mean) / 2.0, j->mean, j->recall, j->decay, f->mean, f->recall, f->decay, iou};
    printf("%-*s", width, name);
    for (int k = 0; k < 8; k++) {
        char c[32];
        cell(c, sizeof c, vals[k]);
        printf(" %8s", c);
    }
    if (saliency) {
        char a[32], b[32];
        cell(a, sizeof a, mae);
        cell(b, sizeof b, fmax);
        printf(" %8s %8s", a, b);
    }
    printf("\n");
}

static void print_table(const adn_eval *e) {
    int width = 9;
    for (int i = 0; i < e->n_videos; i++) {
        int n = (int)strlen(e->videos[i].name);
        if (n > width) width = n;
    }
    int sal = e->has_heatmaps;
    printf("%-*s %8s %8s %8s %8s %8s %8s %8s %8s", width, "sequence", "J&F", "J mean", "J recall",
           "J decay", "F mean", "F recall", "F decay", "IoU*");
    if (sal) printf(" %8s %8s", "MAE", "F-max");
    printf("\n");
    for (int i = 0; i < e->n_videos; i++) {
        const adn_sequence_metrics *s = adn_metrics_sequence(e->metrics, i);
        print_row(width, e->videos[i].name, &s->j, &s->f, s->released_iou, sal, s->mae, s->fmax);
    }
    const adn_dataset_metrics *d = &e->dataset;
    char label[64];
    snprintf(label, sizeof label, "mean (%d)", d->n_sequences);
    print_row(width, label, &d->j, &d->f, d->released_iou, sal, d->mae, d->fmax);
    printf("\nJ&F mean %.3f   J mean %.3f   F mean %.3f   (the first and the last frame of each "
           "sequence left out)\n",
           d->jf_mean, d->j.mean, d->f.mean);
    printf("IoU*: the released AD-Net script's own score (mean per-frame IoU, same frames).\n");
    if (sal)
        printf("MAE, F-max: saliency of the heat maps over every kept pixel (the mean row pools "
               "all sequences' pixels).\n");
}

/* Lists at most a few frame names per video on stderr. */
static void print_names(const adn_eval_video *v, const int *idx, int n) {
    int shown = n < 8 ? n : 8;
    for (int i = 0; i < shown; i++) fprintf(stderr, "%s%s", i ? ", " : "", v->frames[idx[i]]);
    if (n > shown) fprintf(stderr, ", ... (%d more)", n - shown);
}

static void print_reports(const adn_eval *e, const adn_eval_options *o) {
    int total = 0, total_heat = 0;
    for (int i = 0; i < e->n_videos; i++) {
        const adn_eval_video *v = &e->videos[i];
        total += v->n_missing;
        total_heat += v->n_missing_heat;
        if (v->results_dir_missing) {
            fprintf(stderr,
                    "adnet eval: warning: no results for '%s' (%s/%s is missing): its %d frames "
                    "count as empty masks\n",
                    v->name, o->results, v->name, v->n_frames);
        } else if (v->n_missing) {
            fprintf(stderr,
                    "adnet eval: warning: '%s': %d of %d result masks missing, counted as "
                    "empty: ",
                    v->name, v->n_missing, v->n_frames);
            print_names(v, v->missing, v->n_missing);
            fprintf(stderr, "\n");
        }
        if (v->heatmaps_dir_missing) {
            fprintf(stderr,
                    "adnet eval: warning: no heat maps for '%s' (%s/%s is missing): counted as "
                    "all zero\n",
                    v->name, o->heatmaps, v->name);
        } else if (v->n_missing_heat) {
            fprintf(stderr,
                    "adnet eval: warning: '%s': %d of %d heat maps missing, counted as all "
                    "zero: ",
                    v->name, v->n_missing_heat, v->n_frames);
            print_names(v, v->missing_heat, v->n_missing_heat);
            fprintf(stderr, "\n");
        }
        if (v->n_ignored) {
            fprintf(stderr,
                    "adnet eval: note: '%s': %d file(s) in the results match no annotated "
                    "frame and were ignored: ",
                    v->name, v->n_ignored);
            int shown = v->n_ignored < 8 ? v->n_ignored : 8;
            for (int k = 0; k < shown; k++) fprintf(stderr, "%s%s", k ? ", " : "", v->ignored[k]);
            if (v->n_ignored > shown) fprintf(stderr, ", ... (%d more)", v->n_ignored - shown);
            fprintf(stderr, "\n");
        }
    }
    if (total)
        fprintf(stderr, "adnet eval: warning: %d result mask(s) missing in all, scored as empty\n",
                total);
    if (total_heat)
        fprintf(stderr, "adnet eval: warning: %d heat map(s) missing in all, scored as zero\n",
                total_heat);
}

/* ---- the command ----------------------------------------------------------------------------- */

static int write_text(const char *path, char *text, const char *what) {
    if (!text) {
        fprintf(stderr, "adnet: out of memory formatting the %s\n", what);
        return CLI_EXIT_FAILURE;
    }
    int st = adn_write_file_atomic(path, text, strlen(text));
    free(text);
    return st == ADNET_OK ? CLI_EXIT_OK : cli_fail(st);
}

int cmd_eval(int argc, char **argv) {
    const char *results = NULL, *davis = NULL, *set = "val", *heatmaps = NULL, *json = NULL;
    const char *csv = NULL, *threshold = "0", *threads = "0";
    int no_heatmaps = 0, quiet = 0;
    cli_option opts[] = {
        {"results", "DIR", "masks to score: DIR/<video>/<frame>.png", &results, NULL},
        {"davis", "ROOT", "the DAVIS dataset: ROOT/Annotations/480p, ROOT/ImageSets/2016", &davis,
         NULL},
        {"set", "SET",
         "val, train (ROOT/ImageSets/2016/SET.txt), all (every annotated video) or "
         "names,separated,by,commas",
         &set, NULL},
        {"heatmaps", "DIR",
         "8-bit saliency maps DIR/<video>/<frame>.png (default: the folder "
         "'heatmaps' beside DIR of --results, when there is one)",
         &heatmaps, NULL},
        {"no-heatmaps", NULL, "score no heat maps, even when a 'heatmaps' folder is beside DIR",
         NULL, &no_heatmaps},
        {"threshold", "T",
         "a mask pixel is the object when its value > T (0..254; 0: any "
         "non-zero value, as DAVIS reads binary results)",
         &threshold, NULL},
        {"json", "FILE", "write every score (per frame, per sequence, overall) as JSON", &json,
         NULL},
        {"csv", "FILE", "write the per-sequence and overall scores as CSV", &csv, NULL},
        {"threads", "N", "decoding threads (0: one per CPU, at most 8)", &threads, NULL},
        {"quiet", NULL, "print no table (warnings and errors only)", NULL, &quiet},
    };
    cli_command cmd = {
        "adnet eval",
        "--results DIR --davis ROOT [options]",
        "Scores segmentation masks the way the DAVIS-2016 benchmark does: region similarity J "
        "and\ncontour accuracy F per frame (the first and the last frame of each sequence left "
        "out),\ntheir mean, recall and decay per sequence, the mean over sequences and J&F; the "
        "released\nAD-Net script's IoU alongside; saliency MAE and F-max when heat maps are "
        "there.\nThe annotated frames decide what is scored: a missing result mask counts as "
        "an empty\nmask and is reported; a result of another size than its annotation is an "
        "error.",
        "Exit status: 0 success, 1 the evaluation failed (the message names the file), 2 bad "
        "command line\n(including a video named in --set that the dataset does not have).\n",
        opts,
        (int)(sizeof opts / sizeof opts[0]),
        0,
        0};
    const char *pos[1];
    int npos;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc >= 0) return rc;
    if (!results) return cli_usage_error(&cmd, "--results is required");
    if (!davis) return cli_usage_error(&cmd, "--davis is required");
    adn_eval_options o = {0};
    o.results = results;
    o.davis = davis;
    if (cli_parse_int(threshold, &o.threshold) != 0 || o.threshold > 254)
        return cli_usage_error(&cmd, "--threshold must be an integer from 0 to 254, got '%s'",
                               threshold);
    if (cli_parse_int(threads, &o.threads) != 0 || o.threads > 64)
        return cli_usage_error(&cmd, "--threads must be an integer from 0 to 64, got '%s'",
                               threads);
    if (heatmaps && no_heatmaps)
        return cli_usage_error(&cmd, "--heatmaps and --no-heatmaps contradict each other");
    char *found_heatmaps = NULL;
    if (heatmaps)
        o.heatmaps = heatmaps;
    else if (!no_heatmaps && (found_heatmaps = heatmaps_beside(results)))
        o.heatmaps = found_heatmaps;

    char **videos;
    int n_videos;
    int st = adn_eval_resolve_set(davis, set, &videos, &n_videos);
    if (st != ADNET_OK) {
        free(found_heatmaps);
        if (st == ADNET_ERR_INVALID_ARGUMENT)
            return cli_usage_error(&cmd, "--set: %s", adnet_last_error());
        return cli_fail(st);
    }
    if (!quiet && found_heatmaps)
        fprintf(stderr,
                "adnet eval: heat maps from '%s' (beside the results; --no-heatmaps to "
                "leave them out)\n",
                found_heatmaps);
    adn_eval *e = NULL;
    st = adn_eval_run(&o, (const char *const *)videos, n_videos, &e);
    adn_eval_free_names(videos, n_videos);
    if (st != ADNET_OK) {
        free(found_heatmaps);
        return cli_fail(st);
    }
    if (!quiet) print_table(e);
    print_reports(e, &o);
    rc = CLI_EXIT_OK;
    if (json) rc = write_text(json, eval_json(e, &o, set), "JSON");
    if (csv && rc == CLI_EXIT_OK) rc = write_text(csv, eval_csv(e), "CSV");
    adn_eval_free(e);
    free(found_heatmaps);
    return rc;
}
