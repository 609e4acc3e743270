"""The speaker: the item and problem tones (drivers/tones.py) through pygame.mixer.

A kiosk without a working audio output still sells: the mixer failing to start (no
sound card, no ALSA device) is logged once and the speaker stays silent. Volume 0 never
opens the audio device at all.
"""

from __future__ import annotations

import logging
from types import TracebackType

import pygame

from drivers import tones

log = logging.getLogger(__name__)

RATE_HZ = 22_050
BUFFER_SAMPLES = 512  # about 23 ms: the beep follows the scan at once


class PygameSpeaker:
    def __init__(self, volume: int) -> None:
        tones.peak(volume)  # a volume outside 0..100 is a programming error: raise now
        self.volume = volume
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self._owns_mixer = False
        self._closed = False
        if volume > 0:
            self._open()

    @property
    def silent(self) -> bool:
        """True when nothing can be heard (volume 0, or no audio output)."""
        return not self._sounds

    def _open(self) -> None:
        try:
            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=RATE_HZ, size=-16, channels=1, buffer=BUFFER_SAMPLES)
                self._owns_mixer = True
            rate_hz, size, channels = pygame.mixer.get_init()
            if size != -16:
                raise pygame.error(f"the mixer was opened with sample size {size}, not -16")
            self._sounds = {
                name: pygame.mixer.Sound(buffer=tones.samples(name, self.volume, rate_hz, channels))
                for name in tones.TONES
            }
        except pygame.error as exc:
            log.warning("no audio output, the kiosk runs silent: %s", exc)
            self._sounds = {}

    def play(self, sound: str) -> None:
        """Start `sound` ("item" or "problem") and return at once; a new sound cuts off
        one still playing, so a quick run of scans gives a beep each, not a queue."""
        tone = self._sounds.get(sound)
        if tone is None:
            if not self.silent:
                log.warning("no such sound %r", sound)
            return
        try:
            pygame.mixer.stop()
            tone.play()
        except pygame.error as exc:
            log.warning("the audio output failed, the kiosk runs silent: %s", exc)
            self._sounds = {}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sounds = {}
        if self._owns_mixer:
            pygame.mixer.quit()

    def __enter__(self) -> PygameSpeaker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
