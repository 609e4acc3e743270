"""The speaker: the tones' samples (pure) and the pygame.mixer adapter under SDL's dummy
audio driver, which plays into nothing but runs the real mixer code."""

from __future__ import annotations

import array
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from appliance.bootstrap import build
from appliance.config import Config, merge
from appliance.core.effects import Sound
from appliance.shell.clock import SimClock
from drivers import tones
from drivers.speaker_pygame import RATE_HZ, PygameSpeaker


def pcm(data: bytes) -> array.array[int]:
    return array.array("h", data)


def zero_crossings(values: array.array[int]) -> int:
    signs = [v > 0 for v in values if v != 0]
    return sum(1 for a, b in itertools.pairwise(signs) if a != b)


# -- the tones ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(tones.TONES))
def test_each_tone_lasts_and_rings_as_specified(name: str) -> None:
    """GIVEN a tone's parts WHEN sampled THEN its length is the parts' total, and its
    sign changes match each part's frequency (2 per cycle; silence has none)."""
    parts = tones.TONES[name]
    values = pcm(tones.samples(name, 100, RATE_HZ))
    assert len(values) == sum(RATE_HZ * ms // 1000 for _, ms in parts)
    wanted = sum(2 * f * ms / 1000 for f, ms in parts)
    assert abs(zero_crossings(values) - wanted) <= 2 * len(parts)


def test_the_item_beep_and_the_problem_tone_are_unmistakably_different() -> None:
    item, problem = tones.TONES["item"], tones.TONES["problem"]
    assert item[0][0] >= 3 * problem[0][0], "the problem tone is much lower"
    assert sum(ms for _, ms in problem) > 3 * sum(ms for _, ms in item), "and longer"
    assert len([f for f, _ in problem if f > 0]) == 2, "and comes twice"
    assert set(tones.TONES) == {s.value for s in Sound}, "one tone for each sound the core asks"


def test_volume_scales_the_amplitude_and_zero_is_silence() -> None:
    loud = max(pcm(tones.samples("item", 100, RATE_HZ)))
    half = max(pcm(tones.samples("item", 50, RATE_HZ)))
    assert tones.FULL_SCALE * 0.99 <= loud <= tones.FULL_SCALE < 32767
    assert abs(half - loud / 2) <= loud * 0.01
    assert set(pcm(tones.samples("problem", 0, RATE_HZ))) == {0}
    with pytest.raises(ValueError, match=r"outside 0\.\.100"):
        tones.samples("item", 101, RATE_HZ)


def test_tones_start_and_end_quietly_so_the_speaker_does_not_click() -> None:
    values = pcm(tones.samples("item", 100, RATE_HZ))
    assert abs(values[0]) < 100 and abs(values[-1]) < 100


def test_stereo_repeats_each_sample_on_both_channels() -> None:
    mono = pcm(tones.samples("item", 60, RATE_HZ))
    stereo = pcm(tones.samples("item", 60, RATE_HZ, channels=2))
    assert stereo[0::2] == mono and stereo[1::2] == mono


# -- the adapter -------------------------------------------------------------------------


@pytest.fixture
def audio(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SDL's dummy audio; the mixer closed before and after (SDL reads the driver at init)."""
    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    yield
    pygame.mixer.quit()


def test_the_speaker_opens_the_mixer_and_plays_both_sounds(audio: None) -> None:
    with PygameSpeaker(60) as speaker:
        assert not speaker.silent
        assert pygame.mixer.get_init() == (RATE_HZ, -16, 1)
        for sound in Sound:
            speaker.play(sound.value)
            assert pygame.mixer.get_busy(), f"{sound} is playing"
    assert pygame.mixer.get_init() is None, "close() shuts the mixer it opened"


def test_a_mixer_already_open_in_stereo_is_used_as_it_is(audio: None) -> None:
    pygame.mixer.init(frequency=44_100, size=-16, channels=2)
    speaker = PygameSpeaker(100)
    speaker.play("item")
    assert pygame.mixer.get_busy()
    speaker.close()
    assert pygame.mixer.get_init() is not None, "a mixer it did not open stays open"


def test_volume_zero_never_opens_the_audio_device(audio: None) -> None:
    speaker = PygameSpeaker(0)
    speaker.play("item")
    speaker.play("problem")
    assert speaker.silent and pygame.mixer.get_init() is None
    speaker.close()


def test_no_audio_device_is_logged_once_and_the_kiosk_runs_silent(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-audio-driver")
    with caplog.at_level(logging.WARNING, logger="drivers.speaker_pygame"):
        speaker = PygameSpeaker(60)
        for _ in range(5):
            speaker.play("item")
        speaker.close()
        speaker.close()
    assert speaker.silent
    assert len(caplog.records) == 1 and "runs silent" in caplog.records[0].getMessage()


def test_config_picks_the_speaker_and_sim_picks_the_twin(audio: None, tmp_path: Path) -> None:
    """GIVEN devices.speaker "pygame" (the default) THEN the real adapter at ui.volume;
    --sim always the twin."""
    cfg = merge(
        Config(),
        {
            "kiosk": {"data_dir": str(tmp_path)},
            "broker": {"enabled": False},
            "devices": {"scanner": "sim", "printer": "sim", "gpio": "sim"},
            "ui": {"volume": 35},
        },
        "test",
    )
    with build(cfg, SimClock()) as kiosk:
        speaker = kiosk.devices.speaker
        assert isinstance(speaker, PygameSpeaker) and speaker.volume == 35
    with build(cfg, SimClock(), sim=True) as kiosk:
        assert kiosk.sim is not None and kiosk.devices.speaker is kiosk.sim.speaker
