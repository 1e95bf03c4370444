/* adnet._adnet: the CPython binding of libadnet's public API (include/adnet.h), and nothing
 * more. The package's Python layer (python/adnet/__init__.py) checks arrays with numpy, gives
 * the classes their documented shape and wraps the buffers this module returns as numpy arrays
 * without copying them.
 *
 * Why a plain CPython extension (not nanobind or cffi): the API is a dozen C calls on opaque
 * handles; what the binding must do is release the GIL around each call that computes, read
 * numpy frames in place through the buffer protocol (no numpy headers needed at build time,
 * so the build does not depend on the numpy it will run with), hand results over without a
 * copy (Buffer: adnet's malloc'd planes behind the buffer protocol), and turn a status code and
 * adnet_last_error() into an exception. All four take a few lines each in the C API itself;
 * a binding generator adds a C++ toolchain or a run-time FFI layer for none of them. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "adnet.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------------------ */

/* adnet.Error and one subclass per status code, indexed by the code. */
static PyObject *error_base;
static PyObject *error_of_status[ADNET_ERR_DEVICE_LOST + 1];

/* Raises the exception of status with the thread's adnet_last_error() (read while still on
 * the thread that failed, before anything else can overwrite it), its status in .status. */
static PyObject *raise_status(adnet_status st, const char *message) {
    PyObject *type = (int)st > 0 && (int)st <= ADNET_ERR_DEVICE_LOST && error_of_status[st]
                         ? error_of_status[st]
                         : error_base;
    const char *text = message && *message ? message : adnet_strerror(st);
    PyObject *exc = PyObject_CallFunction(type, "s", text);
    if (!exc) return NULL;
    PyObject *code = PyLong_FromLong((long)st);
    if (code) {
        PyObject_SetAttrString(exc, "status", code);
        Py_DECREF(code);
    }
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

/* A failed call's message, copied while the GIL is released (the thread is the one that
 * failed, so adnet_last_error() is its message). */
typedef struct failure {
    adnet_status st;
    char message[1024];
} failure;

static void record(failure *f, adnet_status st) {
    f->st = st;
    if (st != ADNET_OK) snprintf(f->message, sizeof f->message, "%s", adnet_last_error());
}

/* ---- Buffer: memory adnet allocated, handed to Python without a copy ----------------------- */

typedef struct {
    PyObject_HEAD void *data; /* malloc'd, freed with the object */
    Py_ssize_t size;          /* bytes */
    int itemsize;             /* 1: uint8, 4: float32 */
    Py_ssize_t shape[1], strides[1];
    int exports;
} BufferObject;

static void buffer_dealloc(BufferObject *self) {
    free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int buffer_getbuffer(BufferObject *self, Py_buffer *view, int flags) {
    self->shape[0] = self->size / self->itemsize;
    self->strides[0] = self->itemsize;
    view->obj = (PyObject *)self;
    Py_INCREF(self);
    view->buf = self->data;
    view->len = self->size;
    view->readonly = 0;
    view->itemsize = self->itemsize;
    view->format = (flags & PyBUF_FORMAT) ? (self->itemsize == 4 ? "f" : "B") : NULL;
    view->ndim = 1;
    view->shape = (flags & PyBUF_ND) ? self->shape : NULL;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? self->strides : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    self->exports++;
    return 0;
}

static void buffer_releasebuffer(BufferObject *self, Py_buffer *view) {
    (void)view;
    self->exports--;
}

static PyBufferProcs buffer_procs = {.bf_getbuffer = (getbufferproc)buffer_getbuffer,
                                     .bf_releasebuffer = (releasebufferproc)buffer_releasebuffer};

static PyTypeObject BufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "adnet._adnet.Buffer",
    .tp_basicsize = sizeof(BufferObject),
    .tp_dealloc = (destructor)buffer_dealloc,
    .tp_as_buffer = &buffer_procs,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Memory adnet allocated (a mask, logits or saliency plane), readable in place "
              "through the buffer protocol (numpy.frombuffer).",
};

/* Takes ownership of data (malloc'd); NULL data gives None. */
static PyObject *buffer_adopt(void *data, Py_ssize_t size, int itemsize) {
    if (!data) Py_RETURN_NONE;
    BufferObject *b = PyObject_New(BufferObject, &BufferType);
    if (!b) {
        free(data);
        return NULL;
    }
    b->data = data;
    b->size = size;
    b->itemsize = itemsize;
    b->exports = 0;
    return (PyObject *)b;
}

/* ---- frames in place ------------------------------------------------------------------------ */

/* A frame: an object with the buffer protocol holding height x width x 3 C-contiguous uint8
 * (the Python layer has checked and said what is wrong in numpy's terms; this is the last
 * guard). The view is kept until release_frame. */
static int get_frame(PyObject *obj, Py_buffer *view, adnet_image *img, int channels,
                     const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    int ok = view->ndim == (channels == 3 ? 3 : 2) && view->itemsize == 1 &&
             (!view->format || !strcmp(view->format, "B")) &&
             (channels != 3 || view->shape[2] == 3) && view->shape[0] > 0 && view->shape[1] > 0 &&
             view->shape[0] <= 65535 && view->shape[1] <= 65535;
    if (!ok) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous %s uint8 array", what,
                     channels == 3 ? "height x width x 3" : "height x width");
        return -1;
    }
    img->height = (int)view->shape[0];
    img->width = (int)view->shape[1];
    img->channels = channels;
    img->data = view->buf;
    return 0;
}

/* ---- module functions --------------------------------------------------------------------- */

static PyObject *py_version(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    return PyUnicode_FromString(adnet_version(NULL, NULL, NULL));
}

static PyObject *device_dict(const adnet_device_info *in, int chosen) {
    return Py_BuildValue(
        "{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:K,s:K,s:K,s:O,s:d,s:O,s:s,s:i}", "index",
        in->index, "type", adnet_device_type_name(in->type), "platform", in->platform, "vendor",
        in->vendor, "name", in->name, "driver_version", in->driver_version, "device_version",
        in->device_version, "opencl_c_version", in->opencl_c_version, "compute_units",
        in->compute_units, "clock_mhz", in->clock_mhz, "global_mem_bytes",
        (unsigned long long)in->global_mem_bytes, "max_alloc_bytes",
        (unsigned long long)in->max_alloc_bytes, "local_mem_bytes",
        (unsigned long long)in->local_mem_bytes, "fp16", in->fp16 ? Py_True : Py_False,
        "estimated_gflops", in->estimated_gflops, "default", chosen ? Py_True : Py_False, "chip",
        in->chip, "chip_device", in->same_chip_as < 0 ? in->index : in->same_chip_as);
}

static PyObject *py_devices(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    int n = 0, chosen = -1;
    failure f = {0};
    PyThreadState *ts = PyEval_SaveThread();
    record(&f, adnet_device_count(&n));
    if (f.st == ADNET_OK && n > 0 && adnet_device_select(NULL, &chosen) != ADNET_OK) chosen = -1;
    PyEval_RestoreThread(ts);
    if (f.st != ADNET_OK) return raise_status(f.st, f.message);
    PyObject *list = PyList_New(0);
    for (int i = 0; list && i < n; i++) {
        adnet_device_info info;
        adnet_status st = adnet_device_get_info(i, &info);
        if (st != ADNET_OK) {
            Py_DECREF(list);
            return raise_status(st, adnet_last_error());
        }
        PyObject *d = device_dict(&info, i == chosen);
        if (!d || PyList_Append(list, d) < 0) {
            Py_XDECREF(d);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(d);
    }
    return list;
}

static PyObject *py_set_option(PyObject *self, PyObject *args) {
    (void)self;
    const char *name, *value;
    if (!PyArg_ParseTuple(args, "sz", &name, &value)) return NULL;
    adnet_status st = adnet_set_option(name, value);
    if (st != ADNET_OK) return raise_status(st, adnet_last_error());
    Py_RETURN_NONE;
}

static PyObject *py_get_option(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    char value[1024];
    adnet_status st = adnet_get_option(name, value, sizeof value);
    if (st != ADNET_OK) return raise_status(st, adnet_last_error());
    return PyUnicode_FromString(value);
}

/* load_image(path) -> (Buffer, height, width): a JPEG or PNG as BGR, as cv2.imread reads it. */
static PyObject *py_load_image(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path_obj)) return NULL;
    adnet_image img = {0};
    failure f = {0};
    const char *path = PyBytes_AS_STRING(path_obj);
    PyThreadState *ts = PyEval_SaveThread();
    record(&f, adnet_image_load_bgr(path, &img));
    PyEval_RestoreThread(ts);
    Py_DECREF(path_obj);
    if (f.st != ADNET_OK) return raise_status(f.st, f.message);
    PyObject *buf = buffer_adopt(img.data, (Py_ssize_t)img.width * img.height * 3, 1);
    if (!buf) return NULL;
    return Py_BuildValue("(Nii)", buf, img.height, img.width);
}

/* save_image(path, array): a mask (H x W) or BGR image (H x W x 3), PNG or JPEG by the name,
 * written atomically. */
static PyObject *py_save_image(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path_obj, *arr;
    int channels;
    if (!PyArg_ParseTuple(args, "O&Oi", PyUnicode_FSConverter, &path_obj, &arr, &channels))
        return NULL;
    Py_buffer view;
    adnet_image img;
    if (get_frame(arr, &view, &img, channels, "image") < 0) {
        Py_DECREF(path_obj);
        return NULL;
    }
    failure f = {0};
    const char *path = PyBytes_AS_STRING(path_obj);
    PyThreadState *ts = PyEval_SaveThread();
    record(&f, adnet_image_save(path, &img));
    PyEval_RestoreThread(ts);
    PyBuffer_Release(&view);
    Py_DECREF(path_obj);
    if (f.st != ADNET_OK) return raise_status(f.st, f.message);
    Py_RETURN_NONE;
}

/* A model kind by name (None: from the weights); -1 with ValueError for another word. */
static int parse_kind(const char *name, adnet_model_kind *kind) {
    *kind = name ? adnet_model_kind_parse(name) : ADNET_MODEL_UNKNOWN;
    if (name && *kind == ADNET_MODEL_UNKNOWN) {
        PyErr_Format(PyExc_ValueError,
                     "kind '%s': expected 'ad', 'inter', 'intra', 'concat', 'base' or None", name);
        return -1;
    }
    return 0;
}

/* ---- Model ------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD adnet_model *model;
    int sessions; /* live sessions on it: the model cannot be closed under them */
    /* adnet.h's thread rules: a model and its sessions belong to one thread at a time, so the
     * calls of all its sessions take this lock (with the GIL released: a waiting thread does
     * not hold the interpreter) */
    pthread_mutex_t lock;
    int lock_ready;
} ModelObject;

static int model_init(ModelObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"weights", "kind", "device", NULL};
    PyObject *path_obj;
    const char *kind_name = NULL, *device = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|zz", names, PyUnicode_FSConverter, &path_obj,
                                     &kind_name, &device))
        return -1;
    adnet_model_kind kind;
    if (parse_kind(kind_name, &kind) < 0) {
        Py_DECREF(path_obj);
        return -1;
    }
    if (self->model) {
        Py_DECREF(path_obj);
        PyErr_SetString(PyExc_RuntimeError, "the model is already loaded");
        return -1;
    }
    if (!self->lock_ready) {
        pthread_mutex_init(&self->lock, NULL);
        self->lock_ready = 1;
    }
    failure f = {0};
    const char *path = PyBytes_AS_STRING(path_obj);
    adnet_model *m = NULL;
    PyThreadState *ts = PyEval_SaveThread();
    int index = -1;
    record(&f, adnet_device_select(device, &index));
    if (f.st == ADNET_OK) record(&f, adnet_model_load(path, kind, index, &m));
    PyEval_RestoreThread(ts);
    Py_DECREF(path_obj);
    if (f.st != ADNET_OK) {
        raise_status(f.st, f.message);
        return -1;
    }
    self->model = m;
    return 0;
}

static PyObject *model_close(ModelObject *self, PyObject *args) {
    (void)args;
    if (self->sessions > 0) {
        PyErr_Format(PyExc_RuntimeError, "the model has %d open session(s): close them first",
                     self->sessions);
        return NULL;
    }
    adnet_model *m = self->model;
    self->model = NULL;
    if (m) {
        PyThreadState *ts = PyEval_SaveThread();
        adnet_model_free(m);
        PyEval_RestoreThread(ts);
    }
    Py_RETURN_NONE;
}

static void model_dealloc(ModelObject *self) {
    adnet_model_free(self->model);
    if (self->lock_ready) pthread_mutex_destroy(&self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* info() -> dict: kind, depth, embed, params, device */
static PyObject *model_info(ModelObject *self, PyObject *args) {
    (void)args;
    if (!self->model) return PyErr_Format(PyExc_ValueError, "the model is closed");
    adnet_model_info in;
    adnet_status st = adnet_model_get_info(self->model, &in);
    if (st != ADNET_OK) return raise_status(st, adnet_last_error());
    return Py_BuildValue("{s:s,s:i,s:i,s:K,s:s}", "kind", adnet_model_kind_name(in.kind), "depth",
                         in.depth, "embed", in.embed, "params", (unsigned long long)in.params,
                         "device", in.device);
}

static PyMethodDef model_methods[] = {
    {"close", (PyCFunction)model_close, METH_NOARGS, "Frees the model and its device memory."},
    {"info", (PyCFunction)model_info, METH_NOARGS, "What was loaded, as a dict."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "adnet._adnet.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Model(weights, kind=None, device=None): AD-Net weights loaded on one device.",
    .tp_methods = model_methods,
    .tp_init = (initproc)model_init,
    .tp_new = PyType_GenericNew,
};

/* ---- Session ------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD adnet_session *session;
    ModelObject *model; /* NULL for a session over devices (it owns its replicas) */
    /* one call at a time: the model's lock for a session on a model, else own_lock; taken
     * with the GIL released, so a waiting thread does not hold the interpreter */
    pthread_mutex_t *lock;
    pthread_mutex_t own_lock;
    int lock_ready;
} SessionObject;

static int parse_options(PyObject *opts, adnet_session_options *o) {
    adnet_session_options_default(o);
    if (!opts || opts == Py_None) return 0;
    if (!PyArg_ParseTuple(opts, "iifiiii", &o->width, &o->height, &o->threshold, &o->temporal,
                          &o->ms_mirror, &o->pruning, &o->outputs))
        return -1;
    return 0;
}

/* Session(model, options) or Session(None, options, weights=..., devices=..., kind=...);
 * options: (width, height, threshold, temporal, ms_mirror, pruning, outputs) or None. */
static int session_init(SessionObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"model", "options", "weights", "devices", "kind", NULL};
    PyObject *model_obj, *opts, *path_obj = NULL;
    const char *devices = NULL, *kind_name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O&zz", names, &model_obj, &opts,
                                     PyUnicode_FSConverter, &path_obj, &devices, &kind_name))
        return -1;
    adnet_session_options o;
    if (parse_options(opts, &o) < 0 || self->session) {
        if (self->session) PyErr_SetString(PyExc_RuntimeError, "the session is already open");
        Py_XDECREF(path_obj);
        return -1;
    }
    failure f = {0};
    adnet_session *s = NULL;
    if (model_obj != Py_None) {
        if (!PyObject_TypeCheck(model_obj, &ModelType) || !((ModelObject *)model_obj)->model) {
            Py_XDECREF(path_obj);
            PyErr_SetString(PyExc_ValueError, "the model is closed");
            return -1;
        }
        ModelObject *mo = (ModelObject *)model_obj;
        adnet_model *m = mo->model;
        /* the anchor's embedding and the scheduler's state live on the model's device: two
         * sessions used by turns would overwrite each other's (measured: the second call
         * fails), so a model runs one session at a time */
        if (mo->sessions > 0) {
            Py_XDECREF(path_obj);
            PyErr_SetString(PyExc_RuntimeError,
                            "the model already has an open session (a model runs one at a time: "
                            "close it, or load another Model to run two videos at once)");
            return -1;
        }
        PyThreadState *ts = PyEval_SaveThread();
        pthread_mutex_lock(&mo->lock);
        record(&f, adnet_session_create(m, &o, &s));
        pthread_mutex_unlock(&mo->lock);
        PyEval_RestoreThread(ts);
    } else {
        if (!path_obj) {
            PyErr_SetString(PyExc_TypeError, "a session over devices needs its weights");
            return -1;
        }
        adnet_model_kind kind;
        if (parse_kind(kind_name, &kind) < 0) {
            Py_DECREF(path_obj);
            return -1;
        }
        const char *path = PyBytes_AS_STRING(path_obj);
        PyThreadState *ts = PyEval_SaveThread();
        record(&f, adnet_session_create_devices(path, kind, devices, &o, &s));
        PyEval_RestoreThread(ts);
    }
    Py_XDECREF(path_obj);
    if (f.st != ADNET_OK) {
        raise_status(f.st, f.message);
        return -1;
    }
    self->session = s;
    if (!self->lock_ready) {
        pthread_mutex_init(&self->own_lock, NULL);
        self->lock_ready = 1;
    }
    self->lock = &self->own_lock;
    if (model_obj != Py_None) {
        Py_INCREF(model_obj);
        self->model = (ModelObject *)model_obj;
        self->model->sessions++;
        self->lock = &self->model->lock;
    }
    return 0;
}

static void session_release(SessionObject *self) {
    adnet_session *s = self->session;
    self->session = NULL;
    if (s) {
        PyThreadState *ts = PyEval_SaveThread();
        pthread_mutex_lock(self->lock);
        adnet_session_free(s);
        pthread_mutex_unlock(self->lock);
        PyEval_RestoreThread(ts);
    }
    if (self->model) {
        self->model->sessions--;
        Py_CLEAR(self->model);
    }
}

static PyObject *session_close(SessionObject *self, PyObject *args) {
    (void)args;
    session_release(self);
    Py_RETURN_NONE;
}

static void session_dealloc(SessionObject *self) {
    session_release(self);
    if (self->lock_ready) pthread_mutex_destroy(&self->own_lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int session_open(SessionObject *self) {
    if (self->session) return 0;
    PyErr_SetString(PyExc_ValueError, "the session is closed");
    return -1;
}

static PyObject *session_begin_video(SessionObject *self, PyObject *args) {
    PyObject *frame;
    if (!PyArg_ParseTuple(args, "O", &frame) || session_open(self) < 0) return NULL;
    Py_buffer view;
    adnet_image img;
    if (get_frame(frame, &view, &img, 3, "anchor") < 0) return NULL;
    failure f = {0};
    adnet_session *s = self->session;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_mutex_lock(self->lock);
    record(&f, adnet_session_begin_video(s, &img));
    pthread_mutex_unlock(self->lock);
    PyEval_RestoreThread(ts);
    PyBuffer_Release(&view);
    if (f.st != ADNET_OK) return raise_status(f.st, f.message);
    Py_RETURN_NONE;
}

/* (mask Buffer, height, width, foreground, logits Buffer or None, saliency Buffer or None);
 * the result's planes change owner. */
static PyObject *result_tuple(adnet_frame_result *r) {
    Py_ssize_t plane = (Py_ssize_t)r->mask.width * r->mask.height;
    int h = r->mask.height, w = r->mask.width;
    size_t fg = r->foreground;
    PyObject *mask = buffer_adopt(r->mask.data, plane, 1);
    r->mask.data = NULL;
    PyObject *logits = buffer_adopt(r->logits, plane * 4, 4);
    r->logits = NULL;
    PyObject *sal = buffer_adopt(r->saliency.data, plane, 1);
    r->saliency.data = NULL;
    adnet_frame_result_free(r);
    if (!mask || !logits || !sal) {
        Py_XDECREF(mask), Py_XDECREF(logits), Py_XDECREF(sal);
        return NULL;
    }
    return Py_BuildValue("(NiinNN)", mask, h, w, (Py_ssize_t)fg, logits, sal);
}

static PyObject *session_segment(SessionObject *self, PyObject *args) {
    PyObject *frame, *prune = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &frame, &prune) || session_open(self) < 0) return NULL;
    Py_buffer view, pview;
    adnet_image img, pimg;
    if (get_frame(frame, &view, &img, 3, "frame") < 0) return NULL;
    if (prune != Py_None && get_frame(prune, &pview, &pimg, 1, "prune_mask") < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    failure f = {0};
    adnet_frame_result r;
    memset(&r, 0, sizeof r);
    adnet_session *s = self->session;
    const adnet_image *pm = prune != Py_None ? &pimg : NULL;
    PyThreadState *ts = PyEval_SaveThread();
    pthread_mutex_lock(self->lock);
    record(&f, adnet_session_segment(s, &img, pm, &r));
    pthread_mutex_unlock(self->lock);
    PyEval_RestoreThread(ts);
    PyBuffer_Release(&view);
    if (prune != Py_None) PyBuffer_Release(&pview);
    if (f.st != ADNET_OK) return raise_status(f.st, f.message);
    return result_tuple(&r);
}

/* segment_frames(frames) -> list of result tuples: up to 64 frames, their passes spread over
 * the session's devices at once. */
static PyObject *session_segment_frames(SessionObject *self, PyObject *args) {
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "O", &seq) || session_open(self) < 0) return NULL;
    PyObject *fast = PySequence_Fast(seq, "frames: expected a sequence of arrays");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n < 1 || n > 64) {
        Py_DECREF(fast);
        return PyErr_Format(PyExc_ValueError, "frames: %zd given, expected 1 to 64", n);
    }
    Py_buffer views[64];
    adnet_image imgs[64];
    adnet_frame_result res[64];
    memset(res, 0, sizeof res);
    Py_ssize_t got = 0;
    for (; got < n; got++) {
        char what[32];
        snprintf(what, sizeof what, "frames[%zd]", got);
        if (get_frame(PySequence_Fast_GET_ITEM(fast, got), &views[got], &imgs[got], 3, what) < 0)
            break;
    }
    PyObject *out = NULL;
    if (got == n) {
        failure f = {0};
        adnet_session *s = self->session;
        PyThreadState *ts = PyEval_SaveThread();
        pthread_mutex_lock(self->lock);
        record(&f, adnet_session_segment_frames(s, imgs, (int)n, NULL, res));
        pthread_mutex_unlock(self->lock);
        PyEval_RestoreThread(ts);
        if (f.st != ADNET_OK)
            raise_status(f.st, f.message);
        else {
            out = PyList_New(n);
            for (Py_ssize_t i = 0; out && i < n; i++) {
                PyObject *t = result_tuple(&res[i]);
                if (!t) {
                    for (Py_ssize_t j = i + 1; j < n; j++) adnet_frame_result_free(&res[j]);
                    Py_CLEAR(out);
                    break;
                }
                PyList_SET_ITEM(out, i, t);
            }
        }
    }
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    Py_DECREF(fast);
    return out;
}

static PyMethodDef session_methods[] = {
    {"close", (PyCFunction)session_close, METH_NOARGS, "Frees the session."},
    {"begin_video", (PyCFunction)session_begin_video, METH_VARARGS,
     "begin_video(anchor): starts a video at its anchor frame."},
    {"segment", (PyCFunction)session_segment, METH_VARARGS,
     "segment(frame, prune_mask=None) -> (mask, h, w, foreground, logits, saliency)."},
    {"segment_frames", (PyCFunction)session_segment_frames, METH_VARARGS,
     "segment_frames(frames) -> a list of segment()'s tuples."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "adnet._adnet.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_dealloc = (destructor)session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The released evaluation loop over one video at a time (adnet_session).",
    .tp_methods = session_methods,
    .tp_init = (initproc)session_init,
    .tp_new = PyType_GenericNew,
};

/* ---- the module ---------------------------------------------------------------------------- */

static PyMethodDef module_methods[] = {
    {"version", py_version, METH_NOARGS, "The library's version."},
    {"devices", py_devices, METH_NOARGS, "The OpenCL devices, as dicts."},
    {"set_option", py_set_option, METH_VARARGS, "set_option(name, value or None)."},
    {"get_option", py_get_option, METH_VARARGS, "get_option(name) -> str."},
    {"load_image", py_load_image, METH_VARARGS, "load_image(path) -> (Buffer, height, width)."},
    {"save_image", py_save_image, METH_VARARGS, "save_image(path, array, channels)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_adnet",
    .m_doc = "The C binding of libadnet (use the adnet package).",
    .m_size = -1,
    .m_methods = module_methods,
};

/* The exception classes: name, base besides adnet.Error, status (0: the base itself). */
static const struct {
    const char *name;
    adnet_status status;
    const char *also; /* a builtin it also derives from, or NULL */
    const char *parent;
} errors[] = {
    {"InvalidArgumentError", ADNET_ERR_INVALID_ARGUMENT, "ValueError", NULL},
    {"FileError", ADNET_ERR_IO, "OSError", NULL},
    {"FormatError", ADNET_ERR_FORMAT, "ValueError", NULL},
    {"WeightsError", ADNET_ERR_WEIGHTS, "ValueError", NULL},
    {"DeviceError", ADNET_ERR_DEVICE, NULL, NULL},
    {"DeviceRuntimeError", ADNET_ERR_RUNTIME, NULL, "DeviceError"},
    {"BuildError", ADNET_ERR_BUILD, NULL, "DeviceError"},
    {"MatmulError", ADNET_ERR_MATMUL, NULL, "DeviceError"},
    {"OutOfMemoryError", ADNET_ERR_OUT_OF_MEMORY, "MemoryError", NULL},
    {"InternalError", ADNET_ERR_INTERNAL, NULL, NULL},
    {"DeviceLostError", ADNET_ERR_DEVICE_LOST, NULL, "DeviceError"},
};

PyMODINIT_FUNC PyInit__adnet(void) {
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    if (PyType_Ready(&BufferType) < 0 || PyType_Ready(&ModelType) < 0 ||
        PyType_Ready(&SessionType) < 0)
        goto fail;
    error_base = PyErr_NewExceptionWithDoc(
        "adnet.Error", "An adnet call failed: .status is the C status code, the message adnet's.",
        PyExc_Exception, NULL);
    if (!error_base || PyModule_AddObjectRef(m, "Error", error_base) < 0) goto fail;
    PyObject *builtins = PyEval_GetBuiltins();
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        PyObject *parent = errors[i].parent ? PyObject_GetAttrString(m, errors[i].parent) : NULL;
        PyObject *also = errors[i].also ? PyDict_GetItemString(builtins, errors[i].also) : NULL;
        PyObject *bases = parent && also ? PyTuple_Pack(2, parent, also)
                          : parent       ? PyTuple_Pack(1, parent)
                          : also         ? PyTuple_Pack(2, error_base, also)
                                         : PyTuple_Pack(1, error_base);
        Py_XDECREF(parent);
        char qualified[64];
        snprintf(qualified, sizeof qualified, "adnet.%s", errors[i].name);
        PyObject *cls = bases ? PyErr_NewExceptionWithDoc(
                                    qualified, adnet_strerror(errors[i].status), bases, NULL)
                              : NULL;
        Py_XDECREF(bases);
        if (!cls || PyModule_AddObjectRef(m, errors[i].name, cls) < 0) {
            Py_XDECREF(cls);
            goto fail;
        }
        error_of_status[errors[i].status] = cls; /* the module holds a reference */
        Py_DECREF(cls);
    }
    if (PyModule_AddObjectRef(m, "Model", (PyObject *)&ModelType) < 0 ||
        PyModule_AddObjectRef(m, "Session", (PyObject *)&SessionType) < 0 ||
        PyModule_AddObjectRef(m, "Buffer", (PyObject *)&BufferType) < 0)
        goto fail;
    PyModule_AddIntConstant(m, "OUTPUT_LOGITS", ADNET_OUTPUT_LOGITS);
    PyModule_AddIntConstant(m, "OUTPUT_SALIENCY", ADNET_OUTPUT_SALIENCY);
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
