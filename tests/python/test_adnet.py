"""The Python package against independent references: the `adnet` program's outputs (masks,
pixel for pixel), a C program on the C API (logits, bit for bit), OpenCV (frames), and hand-made
bad inputs. Run by CTest (python_api) with the build tree's package first on sys.path and:
    ADNET_BIN          the adnet program of the same build
    ADNET_C_LOGITS     tests/python/c_logits.c, built
    ADNET_DEMO_DIR     the demo model and its clips (weights/)
"""

import json
import os
import resource
import subprocess
import threading
import time

import cv2
import numpy as np
import pytest

import adnet

BIN = os.environ["ADNET_BIN"]
C_LOGITS = os.environ["ADNET_C_LOGITS"]
DEMO = os.environ["ADNET_DEMO_DIR"]
WEIGHTS = os.path.join(DEMO, "demo.safetensors")
CLIPS = os.path.join(DEMO, "demo-clips")
SIZE = "257x145"  # the demo model's training size (adnet demo's)
VIDEOS = sorted(os.listdir(os.path.join(CLIPS, "JPEGImages", "480p")))


def frames_dir(video):
    return os.path.join(CLIPS, "JPEGImages", "480p", video)


def read_png(path):
    m = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert m is not None, path
    return m


def run(*args, **kw):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def model():
    with adnet.Model(WEIGHTS, device="cpu") as m:
        yield m


# ---- the module ---------------------------------------------------------------------------


def test_version_matches_the_header_and_the_package():
    header = open(os.path.join(os.path.dirname(__file__), "..", "..", "include", "adnet.h")).read()
    want = header.split('#define ADNET_VERSION_STRING "')[1].split('"')[0]
    assert adnet.__version__ == want
    pyproject = open(os.path.join(os.path.dirname(__file__), "..", "..", "pyproject.toml")).read()
    assert 'version = "%s"' % want in pyproject


def test_devices_are_what_adnet_devices_lists():
    cli = json.loads(run("devices", "--json").stdout)["devices"]
    ours = adnet.devices()
    assert len(ours) == len(cli) >= 1
    for a, b in zip(ours, cli):
        for key in ("index", "type", "platform", "vendor", "name", "driver_version",
                    "device_version", "compute_units", "global_mem_bytes", "max_alloc_bytes",
                    "fp16", "default", "chip", "chip_device"):
            assert a[key] == b[key], key


def test_options_round_trip_and_bad_words():
    adnet.set_option("winograd", "off")
    assert adnet.get_option("winograd") == "off"
    adnet.set_option("winograd", None)
    assert adnet.get_option("winograd") == os.environ.get("ADNET_WINOGRAD", "")
    with pytest.raises(adnet.InvalidArgumentError, match="expected one of 'on', 'off'") as e:
        adnet.set_option("winograd", "yes")
    assert e.value.status == 1 and isinstance(e.value, ValueError)


def test_model_attributes(model):
    # the demo model's bottleneck ResNet: 3 layers a block, plus the stem and the classifier
    arch = json.load(open(os.path.join(DEMO, "demo_arch.json")))
    assert model.kind == "ad" and model.depth == 3 * sum(arch["blocks"]) + 2
    assert model.params > 0 and model.embed == arch["embed"]
    cpu = [d for d in adnet.devices() if d["type"] == "cpu"][0]
    assert model.device == cpu["name"]
    assert "demo.safetensors" in repr(model)


def test_load_frame_is_cv2_imread():
    path = os.path.join(frames_dir(VIDEOS[0]), sorted(os.listdir(frames_dir(VIDEOS[0])))[0])
    assert np.array_equal(adnet.load_frame(path), cv2.imread(path, cv2.IMREAD_COLOR))


# ---- results equal to the program's and the C API's -------------------------------------------


def test_segment_folder_equals_adnet_segment_frames(tmp_path):
    video = VIDEOS[0]
    run("segment", "--weights", WEIGHTS, "--frames", frames_dir(video), "--size", SIZE,
        "--device", "cpu", "--out", str(tmp_path / "cli"), "--quiet")
    results = list(adnet.segment_folder(frames_dir(video), WEIGHTS, out=tmp_path / "py",
                                        device="cpu", size=SIZE))
    names = sorted(os.listdir(tmp_path / "cli" / "masks"))
    assert [os.path.splitext(os.path.basename(r.path))[0] + ".png" for r in results] == names
    assert sorted(os.listdir(tmp_path / "py" / "masks")) == names
    for r, name in zip(results, names):
        want = read_png(str(tmp_path / "cli" / "masks" / name))
        assert r.mask.dtype == np.uint8 and r.mask.shape == want.shape
        assert np.array_equal(r.mask, want), name
        assert r.foreground == int((want == 255).sum())
        assert np.array_equal(read_png(str(tmp_path / "py" / "masks" / name)), want)


def test_sessions_equal_adnet_segment_on_a_several_video_tree(tmp_path, model):
    """Each video of a DAVIS tree through one session (begin_video per video), against
    `adnet segment --davis --videos all`."""
    run("segment", "--weights", WEIGHTS, "--davis", CLIPS, "--videos", "all", "--size", SIZE,
        "--device", "cpu", "--out", str(tmp_path), "--quiet")
    assert len(VIDEOS) >= 2
    with model.session(size=SIZE) as session:
        for video in VIDEOS:
            paths = adnet.frame_files(frames_dir(video))
            frames = [cv2.imread(p) for p in paths]
            session.begin_video(frames[0])
            for p, f in zip(paths, frames):
                stem = os.path.splitext(os.path.basename(p))[0]
                want = read_png(str(tmp_path / "masks" / video / (stem + ".png")))
                assert np.array_equal(session.segment(f).mask, want), (video, stem)


def test_logits_and_saliency_equal_the_c_api(tmp_path, model):
    video = VIDEOS[1]
    subprocess.run([C_LOGITS, WEIGHTS, frames_dir(video), SIZE, str(tmp_path)], check=True)
    paths = adnet.frame_files(frames_dir(video))
    with model.session(size=SIZE) as session:
        session.begin_video(cv2.imread(paths[0]))
        for i, p in enumerate(paths):
            r = session.segment(cv2.imread(p), logits=True, saliency=True)
            want = np.load(str(tmp_path / ("%05d.npy" % i)))
            assert r.logits.dtype == np.float32 and r.logits.shape == r.mask.shape
            assert np.array_equal(r.logits, want), p  # bit for bit: one library, one device
            # saliency is 255 x sigmoid of the final logits and the mask their threshold at 0.5,
            # where 255 x sigmoid is 158.7: either side of it the two agree
            assert r.saliency.shape == r.mask.shape and r.saliency.dtype == np.uint8
            assert np.all(r.mask[r.saliency >= 160] == 255) and np.all(r.mask[r.saliency <= 158] == 0)


def test_logits_off_by_default_and_rgb_order(model):
    path = adnet.frame_files(frames_dir(VIDEOS[0]))[0]
    bgr = cv2.imread(path)
    with model.session(size=SIZE, temporal=False) as s:
        s.begin_video(bgr)
        a = s.segment(bgr)
        assert a.logits is None and a.saliency is None
        b = s.segment(np.ascontiguousarray(bgr[:, :, ::-1]), order="rgb", logits=True)
        assert np.array_equal(a.mask, b.mask) and b.logits is not None


def test_multi_device_session_equals_one_device(model):
    video = VIDEOS[2 % len(VIDEOS)]
    frames = [cv2.imread(p) for p in adnet.frame_files(frames_dir(video))]
    with model.session(size=SIZE) as one:
        one.begin_video(frames[0])
        want = [one.segment(f).mask for f in frames]
    with adnet.Session(WEIGHTS, devices="cpu/2", size=SIZE) as two:
        two.begin_video(frames[0])
        got = two.segment_frames(frames)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert np.array_equal(g.mask, w), i


# ---- bad input ------------------------------------------------------------------------------


def test_bad_frames_raise_naming_what_was_expected(model):
    good = np.zeros((48, 64, 3), np.uint8)
    with model.session(size=SIZE) as s:
        s.begin_video(good)
        with pytest.raises(TypeError, match="expected dtype uint8.*float32"):
            s.segment(good.astype(np.float32))
        with pytest.raises(TypeError, match="expected a numpy array"):
            s.segment(good.tolist())
        with pytest.raises(ValueError, match=r"expected shape \(height, width, 3\), got \(48, 64\)"):
            s.segment(good[:, :, 0])
        with pytest.raises(ValueError, match=r"got \(48, 64, 4\)"):
            s.segment(np.zeros((48, 64, 4), np.uint8))
        with pytest.raises(ValueError, match="not C-contiguous"):
            s.segment(good[:, ::2])
        with pytest.raises(ValueError, match="empty"):
            s.segment(np.zeros((0, 64, 3), np.uint8))
        with pytest.raises(ValueError, match="order: expected 'bgr' or 'rgb'"):
            s.segment(good, order="hsv")
        with pytest.raises(ValueError, match="size: expected 'WxH'"):
            model.session(size="big")
        s.segment(good)  # the session still works


def test_bad_files_and_devices_raise_mapped_errors(tmp_path):
    with pytest.raises(adnet.FileError) as e:
        adnet.Model(tmp_path / "missing.safetensors")
    assert e.value.status == 2 and "missing.safetensors" in str(e.value)
    assert isinstance(e.value, OSError) and isinstance(e.value, adnet.Error)
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(adnet.FormatError, match="corrupt.safetensors") as e:
        adnet.Model(corrupt)
    assert e.value.status == 3
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(open(WEIGHTS, "rb").read()[:100000])
    with pytest.raises((adnet.FormatError, adnet.WeightsError), match="truncated.safetensors"):
        adnet.Model(truncated)
    with pytest.raises(adnet.DeviceError, match="no-such-device") as e:
        adnet.Model(WEIGHTS, device="no-such-device")
    assert e.value.status == 5
    with pytest.raises(ValueError, match="kind 'resnet'"):
        adnet.Model(WEIGHTS, kind="resnet")
    with pytest.raises(adnet.InvalidArgumentError, match="no frames"):
        next(adnet.segment_folder(tmp_path, WEIGHTS))
    with pytest.raises(adnet.FileError, match="nothing-here"):
        adnet.frame_files(tmp_path / "nothing-here")


def test_misuse_of_models_and_sessions(model):
    s = model.session(size=SIZE)
    with pytest.raises(adnet.Error) as e:
        s.segment(np.zeros((8, 8, 3), np.uint8))  # before begin_video
    assert "begin_video" in str(e.value)
    with pytest.raises(RuntimeError, match="open session"):
        model.close()
    s.close()
    with pytest.raises(ValueError, match="the session is closed"):
        s.segment(np.zeros((8, 8, 3), np.uint8))
    m = adnet.Model(WEIGHTS, device="cpu")
    m.close()
    with pytest.raises(ValueError, match="the model is closed"):
        m.session()


def test_a_lost_device_raises_device_lost(monkeypatch):
    monkeypatch.setenv("ADNET_FAULT", "0:1:error")
    frames = [cv2.imread(p) for p in adnet.frame_files(frames_dir(VIDEOS[0]))[:4]]
    with adnet.Session(WEIGHTS, devices="cpu", size=SIZE) as s:
        s.begin_video(frames[0])
        with pytest.raises(adnet.DeviceLostError) as e:
            s.segment_frames(frames)
    assert e.value.status == 11 and isinstance(e.value, adnet.DeviceError)


# ---- resources and threads --------------------------------------------------------------------


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_a_thousand_frames_leak_nothing(model):
    frame = cv2.imread(adnet.frame_files(frames_dir(VIDEOS[0]))[0])
    small = cv2.resize(frame, (64, 36))
    with model.session(size="65x41") as s:
        s.begin_video(small)
        for _ in range(100):
            r = s.segment(small, logits=True, saliency=True)
        before = rss_kib()
        for i in range(1000):
            r = s.segment(small, logits=True, saliency=True)
            if i % 97 == 0:  # and failing calls leak nothing either
                with pytest.raises(TypeError):
                    s.segment(small.astype(np.int16))
        after = rss_kib()
    assert r.mask.shape == (36, 64)
    assert after - before < 4096, "RSS grew by %d KiB over 1000 frames" % (after - before)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_the_gil_is_released_while_a_frame_is_computed(model):
    """While a thread is inside a long call (segment_frames of 24 frames), a pure-Python thread
    keeps running, and a second thread with a session of another model makes whole calls: a
    thread that needs the GIL could do neither inside a call that held it."""
    frame = cv2.imread(adnet.frame_files(frames_dir(VIDEOS[0]))[0])
    small = cv2.resize(frame, (64, 36))
    long_s = model.session(size=SIZE)
    other = adnet.Model(WEIGHTS, device="cpu")
    short_s = other.session(size="65x41")
    long_s.begin_video(frame)
    short_s.begin_video(small)
    long_calls, short_calls, ticks = [], [], []
    done = threading.Event()

    def long_worker():
        for _ in range(3):
            a = time.monotonic()
            long_s.segment_frames([frame] * 24)
            long_calls.append((a, time.monotonic()))
        done.set()

    def short_worker():
        while not done.is_set():
            a = time.monotonic()
            short_s.segment(small)
            short_calls.append((a, time.monotonic()))

    def ticker():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.0005)

    threads = [threading.Thread(target=f) for f in (long_worker, short_worker, ticker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    long_s.close()
    short_s.close()
    other.close()
    nested = sum(1 for a0, a1 in long_calls for b0, b1 in short_calls if a0 < b0 and b1 < a1)
    inside = sum(1 for a0, a1 in long_calls for t in ticks if a0 + 0.002 < t < a1 - 0.002)
    span = sum(a1 - a0 for a0, a1 in long_calls)
    assert nested >= 2, "%d whole short calls inside %.2f s of long calls" % (nested, span)
    assert inside >= 10, "%d ticks inside %.2f s of long calls" % (inside, span)


def test_a_model_runs_one_session_at_a_time(model):
    """The anchor's embedding lives on the model's device, so a second open session of one model
    is refused (two models run two videos at once: the test above)."""
    with model.session(size=SIZE):
        with pytest.raises(RuntimeError, match="already has an open session"):
            model.session(size=SIZE)
    with model.session(size=SIZE) as s:  # once closed, a new one opens
        s.begin_video(np.zeros((16, 16, 3), np.uint8))
