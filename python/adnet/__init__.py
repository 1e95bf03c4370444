"""adnet: unsupervised video object segmentation with AD-Net on any OpenCL device.

The Python face of libadnet (the C library of ``include/adnet.h``): numpy frames in, masks out,
the released evaluation loop per video, and sessions that spread frames over several devices.
Nothing is computed in Python; every call below is one call of the C API, made with the GIL
released, so threads with their own sessions run at once.

Frames are ``height x width x 3`` ``uint8`` numpy arrays in BGR order, as ``cv2.imread``
gives them (pass ``order="rgb"`` for RGB); masks come back at the frame's size, ``uint8``,
0 or 255.

    >>> import adnet, cv2
    >>> with adnet.Model("ad.safetensors", device="cpu") as model:
    ...     session = model.session()                      # the released defaults
    ...     frames = [cv2.imread(p) for p in paths]
    ...     session.begin_video(frames[0])                 # the anchor
    ...     masks = [session.segment(f).mask for f in frames]

or, for a folder of frames as ``adnet segment --frames`` takes it::

    for result in adnet.segment_folder("clip/", "ad.safetensors", out="result/"):
        print(result.path, result.foreground)

Errors raise :class:`adnet.Error` subclasses carrying the C library's message and status
(``.status``): :class:`WeightsError`, :class:`FileError`, :class:`DeviceError`,
:class:`DeviceLostError`, ...; bad arrays raise ``TypeError`` or ``ValueError``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _adnet
from ._adnet import (  # noqa: F401  (re-exported)
    BuildError,
    DeviceError,
    DeviceLostError,
    DeviceRuntimeError,
    Error,
    FileError,
    FormatError,
    InternalError,
    InvalidArgumentError,
    MatmulError,
    OutOfMemoryError,
    WeightsError,
)

__version__: str = _adnet.version()

__all__ = [
    "__version__", "devices", "set_option", "get_option", "Model", "Session", "Result",
    "segment_folder", "load_frame", "Error", "InvalidArgumentError", "FileError", "FormatError",
    "WeightsError", "DeviceError", "DeviceRuntimeError", "BuildError", "MatmulError",
    "OutOfMemoryError", "InternalError", "DeviceLostError",
]

PathLike = Union[str, "os.PathLike[str]"]
Size = Union[Tuple[int, int], str]

#: The network input size of the released evaluation (width, height).
RELEASED_SIZE = (857, 481)

_FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png")


def devices() -> List[dict]:
    """The OpenCL devices adnet sees, as ``adnet devices --json`` lists them (index, type,
    platform, vendor, name, driver and OpenCL versions, compute units, memory, estimated GFLOP/s,
    ``default``: the one a model gets without a device, ``chip``...)."""
    return _adnet.devices()


def set_option(name: str, value: Optional[str]) -> None:
    """Sets a library option for devices and models opened later, as the ``ADNET_<NAME>``
    environment variable would ("gemm", "winograd", "onednn_conv", "profile", "device",
    "cache_dir", "tune", ...); ``None`` unsets it. A name or word outside the list raises
    :class:`InvalidArgumentError`."""
    _adnet.set_option(name, value)


def get_option(name: str) -> str:
    """An option's current value ("" when unset)."""
    return _adnet.get_option(name)


@dataclass
class Result:
    """One frame's result.

    Attributes:
        mask: ``height x width`` ``uint8`` array at the frame's size, 255 object, 0 background.
        foreground: the number of object pixels in ``mask``.
        logits: ``height x width`` ``float32`` logits at the frame's size (before pruning and
            the temporal step), when asked for; else ``None``.
        saliency: ``height x width`` ``uint8``, 255 x sigmoid of the final logits (what
            ``--save-heatmaps`` writes), when asked for; else ``None``.
        path: the frame's file (:func:`segment_folder`); else ``None``.
    """

    mask: np.ndarray
    foreground: int
    logits: Optional[np.ndarray] = None
    saliency: Optional[np.ndarray] = None
    path: Optional[str] = None


def _check_frame(frame: object, order: str, what: str) -> np.ndarray:
    """The frame as the C library reads it (BGR, C-contiguous uint8), or the error that says
    what was expected."""
    if not isinstance(frame, np.ndarray):
        raise TypeError("%s: expected a numpy array of height x width x 3 uint8, got %s"
                        % (what, type(frame).__name__))
    if frame.dtype != np.uint8:
        raise TypeError("%s: expected dtype uint8 (8-bit BGR), got %s" % (what, frame.dtype))
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError("%s: expected shape (height, width, 3), got %s"
                         % (what, tuple(frame.shape)))
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError("%s: the frame is empty (%s)" % (what, tuple(frame.shape)))
    if order == "rgb":
        return np.ascontiguousarray(frame[:, :, ::-1])
    if order != "bgr":
        raise ValueError("order: expected 'bgr' or 'rgb', got %r" % (order,))
    if not frame.flags.c_contiguous:
        raise ValueError("%s: the array is not C-contiguous (a slice, a transpose or a view with "
                         "strides), so it cannot be read in place: pass "
                         "numpy.ascontiguousarray(frame)" % what)
    return frame


def _check_mask(mask: object, shape: Tuple[int, ...]) -> np.ndarray:
    if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8:
        raise TypeError("prune_mask: expected a height x width uint8 numpy array")
    if mask.shape != shape[:2]:
        raise ValueError("prune_mask: expected shape %s (the frame's), got %s"
                         % (tuple(shape[:2]), tuple(mask.shape)))
    if not mask.flags.c_contiguous:
        raise ValueError("prune_mask: the array is not C-contiguous: pass "
                         "numpy.ascontiguousarray(mask)")
    return mask


def _parse_size(size: Size) -> Tuple[int, int]:
    if isinstance(size, str):
        try:
            w, h = (int(v) for v in size.lower().split("x"))
        except ValueError:
            raise ValueError("size: expected 'WxH' or (width, height), got %r" % (size,)) from None
    else:
        try:
            w, h = size
            w, h = int(w), int(h)
        except (TypeError, ValueError):
            raise ValueError("size: expected 'WxH' or (width, height), got %r" % (size,)) from None
    if w < 1 or h < 1:
        raise ValueError("size: width and height must be positive, got %dx%d" % (w, h))
    return w, h


def _options(size: Size = RELEASED_SIZE, threshold: float = 0.5, temporal: bool = True,
             ms_mirror: bool = False, prune: bool = False) -> tuple:
    """The C session options (with both extra outputs computed: a call picks what it returns,
    and they cost next to nothing beside the network)."""
    w, h = _parse_size(size)
    outputs = _adnet.OUTPUT_LOGITS | _adnet.OUTPUT_SALIENCY
    return (w, h, float(threshold), int(bool(temporal)), int(bool(ms_mirror)), int(bool(prune)),
            outputs)


def _result(t: tuple, logits: bool, saliency: bool, path: Optional[str] = None) -> Result:
    mask, h, w, fg, lg, sal = t
    return Result(
        mask=np.frombuffer(mask, dtype=np.uint8).reshape(h, w),
        foreground=fg,
        logits=np.frombuffer(lg, dtype=np.float32).reshape(h, w) if logits else None,
        saliency=np.frombuffer(sal, dtype=np.uint8).reshape(h, w) if saliency else None,
        path=path,
    )


class Session:
    """The released evaluation loop over one video at a time: the anchor's embedding once
    (:meth:`begin_video`), then for each frame in order its logits at the frame's size
    (multi-scale + mirror if asked), instance pruning if asked, the temporal step and the
    threshold.

    Made by :meth:`Model.session` on one model, or directly over several devices::

        adnet.Session(weights, devices="cpu/2", size=(857, 481), ...)

    where ``devices`` is a device list as ``adnet segment --device`` takes it ("gpu,cpu", "all",
    "cpu/2": the CPU split in two); each device gets its own replica and
    :meth:`segment_frames` spreads a batch of frames over them.

    Options (keyword arguments, the released defaults): ``size`` (width, height) or "WxH",
    857x481; ``threshold`` on the raw logits, 0.5; ``temporal`` the released temporal step,
    True; ``ms_mirror`` multi-scale + mirror (six passes a frame), False; ``prune`` instance
    pruning with per-frame masks, False.
    """

    def __init__(self, weights: PathLike, devices: Optional[str] = None,
                 kind: Optional[str] = None, **options) -> None:
        self._model = None
        self._s = _adnet.Session(None, _options(**options), os.fspath(weights), devices, kind)
        self.devices = devices

    @classmethod
    def _on_model(cls, model: "Model", options: tuple) -> "Session":
        self = cls.__new__(cls)
        self._model = model  # kept alive while the session is
        self._s = _adnet.Session(model._m, options)
        self.devices = model.device
        return self

    def begin_video(self, anchor: np.ndarray, *, order: str = "bgr") -> None:
        """Starts a video: computes the anchor frame's embedding (any size; it is resized
        like every frame) and forgets the previous video's temporal and pruning state. The
        anchor is usually also the first frame given to :meth:`segment`."""
        self._s.begin_video(_check_frame(anchor, order, "anchor"))

    def segment(self, frame: np.ndarray, *, logits: bool = False, saliency: bool = False,
                prune_mask: Optional[np.ndarray] = None, order: str = "bgr") -> Result:
        """Segments the next frame of the video. ``logits``/``saliency`` add those planes to
        the result; ``prune_mask`` is the frame's pruning mask (0 = cut) when the session
        prunes."""
        frame = _check_frame(frame, order, "frame")
        pm = _check_mask(prune_mask, frame.shape) if prune_mask is not None else None
        return _result(self._s.segment(frame, pm), logits, saliency)

    def segment_frames(self, frames: Sequence[np.ndarray], *, logits: bool = False,
                       saliency: bool = False, order: str = "bgr") -> List[Result]:
        """Segments consecutive frames of the video, their passes run on the session's devices
        at once (several devices pay off with several frames); the results in order."""
        checked = [_check_frame(f, order, "frames[%d]" % i) for i, f in enumerate(frames)]
        out: List[Result] = []
        for i in range(0, len(checked), 64):  # the C API takes up to 64 at a time
            out += [_result(t, logits, saliency) for t in self._s.segment_frames(checked[i:i + 64])]
        return out

    def close(self) -> None:
        """Frees the session (its device replicas, for a session over devices)."""
        self._s.close()
        self._model = None

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return "adnet.Session(devices=%r)" % (self.devices,)


class Model:
    """AD-Net weights (a safetensors file: ``weights/convert.py`` makes one from the released
    checkpoints) loaded on one device.

    Args:
        weights: the weights file.
        kind: "ad", "inter", "intra", "concat" or "base"; None takes it from the file.
        device: a device spec as the command line takes it ("cpu", "gpu", "1", "nvidia", a name
            substring); None: ``$ADNET_DEVICE``, else the fastest GPU, else the CPU.

    Attributes: ``kind``, ``depth`` (50 or 101), ``embed``, ``params``, ``device`` (the
    device's name), ``weights``. Usable as a context manager (closing frees device memory).
    """

    def __init__(self, weights: PathLike, kind: Optional[str] = None,
                 device: Optional[str] = None) -> None:
        self.weights = os.fspath(weights)
        self._m = _adnet.Model(self.weights, kind, device)
        info = self._m.info()
        self.kind: str = info["kind"]
        self.depth: int = info["depth"]
        self.embed: int = info["embed"]
        self.params: int = info["params"]
        self.device: str = info["device"]

    def session(self, **options) -> Session:
        """A :class:`Session` on this model with the released defaults, or the options given
        (``size``, ``threshold``, ``temporal``, ``ms_mirror``, ``prune``: see :class:`Session`).
        A model runs one session at a time (the anchor's embedding lives on its device): close
        it before opening the next, or load another Model to run two videos at once.
        """
        return Session._on_model(self, _options(**options))

    def close(self) -> None:
        """Frees the model; its sessions must be closed first."""
        self._m.close()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return "adnet.Model(%r, kind=%r, device=%r)" % (self.weights, self.kind, self.device)


def load_frame(path: PathLike) -> np.ndarray:
    """A JPEG or PNG file as a height x width x 3 BGR ``uint8`` array, exactly as
    ``cv2.imread(path, cv2.IMREAD_COLOR)`` reads it (EXIF orientation applied)."""
    buf, h, w = _adnet.load_image(os.fspath(path))
    return np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)


def frame_files(frames_dir: PathLike) -> List[str]:
    """The frames of a folder as ``adnet segment --frames`` takes them: the .jpg, .jpeg and
    .png files (any case, not hidden), in byte order of their names."""
    d = os.fspath(frames_dir)
    try:
        names = os.listdir(d)
    except OSError as e:
        raise FileError("cannot read frame directory '%s': %s" % (d, e.strerror)) from None
    names = [n for n in names if not n.startswith(".")
             and os.path.splitext(n)[1].lower() in _FRAME_EXTENSIONS]
    if not names:
        raise InvalidArgumentError("no frames in '%s' (expected .jpg, .jpeg or .png files)" % d)
    return [os.path.join(d, n) for n in sorted(names, key=os.fsencode)]


def segment_folder(frames_dir: PathLike, weights: Union[PathLike, Model],
                   out: Optional[PathLike] = None, *, device: Optional[str] = None,
                   kind: Optional[str] = None, logits: bool = False, saliency: bool = False,
                   **options) -> Iterator[Result]:
    """Segments one video given as a folder of frames, as ``adnet segment --frames`` does: the
    first frame is the anchor, every frame is segmented in name order. A generator of
    :class:`Result` (with ``path``), one per frame as it is done.

    ``weights`` is a weights file (loaded on ``device``) or an open :class:`Model`. With
    ``out``, each mask is also written as ``out/masks/<frame>.png`` (0/255, written whole or not
    at all), the layout of ``adnet segment --frames --out``. Options as :class:`Session`'s.
    """
    paths = frame_files(frames_dir)
    mask_dir = None
    if out is not None:
        mask_dir = os.path.join(os.fspath(out), "masks")
        os.makedirs(mask_dir, exist_ok=True)
    owned = not isinstance(weights, Model)
    model = Model(weights, kind=kind, device=device) if owned else weights
    try:
        with model.session(**options) as session:
            for i, path in enumerate(paths):
                frame = load_frame(path)
                if i == 0:
                    session.begin_video(frame)
                r = session.segment(frame, logits=logits, saliency=saliency)
                r.path = path
                if mask_dir is not None:
                    stem = os.path.splitext(os.path.basename(path))[0]
                    _adnet.save_image(os.path.join(mask_dir, stem + ".png"), r.mask, 1)
                yield r
    finally:
        if owned:
            model.close()
