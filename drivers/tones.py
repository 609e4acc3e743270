"""The kiosk's two sounds as raw samples (pure; no pygame): a short high beep for an item,
a distinct low double tone for a problem. Never a voice: shoppers hear a tone, read the
screen.

Samples are signed 16-bit, native byte order, interleaved when there is more than one
channel: what pygame.mixer.Sound(buffer=...) takes for a mixer opened with size=-16.
"""

from __future__ import annotations

import array
import math

FULL_SCALE = 30_000  # the peak at volume 100: a little under 32767, so nothing clips
FADE_MS = 5  # a ramp at each end of a tone, or the speaker clicks

# each sound: (frequency in Hz, 0 for silence; milliseconds), played in order
TONES: dict[str, tuple[tuple[float, int], ...]] = {
    # one short high beep, like a scanner's good-read
    "item": ((1800.0, 90),),
    # low, twice, longer: unmistakably not the item beep
    "problem": ((440.0, 160), (0.0, 70), (440.0, 160)),
}


def peak(volume: int) -> int:
    """The amplitude for a volume of 0..100 (linear; 0 is silence)."""
    if not 0 <= volume <= 100:
        raise ValueError(f"volume {volume} is outside 0..100")
    return FULL_SCALE * volume // 100


def samples(name: str, volume: int, rate_hz: int, channels: int = 1) -> bytes:
    """The sound `name` (a key of TONES) at `volume`, sampled at `rate_hz`."""
    mono = array.array("h")
    amplitude = peak(volume)
    for frequency, ms in TONES[name]:
        mono.extend(_tone(frequency, ms, amplitude, rate_hz))
    if channels == 1:
        return mono.tobytes()
    wide = array.array("h", (s for s in mono for _ in range(channels)))
    return wide.tobytes()


def _tone(frequency: float, ms: int, amplitude: int, rate_hz: int) -> array.array[int]:
    count = rate_hz * ms // 1000
    if frequency <= 0 or amplitude == 0:
        return array.array("h", bytes(2 * count))
    fade = max(1, rate_hz * FADE_MS // 1000)
    step = 2 * math.pi * frequency / rate_hz
    out = array.array("h", bytes(2 * count))
    for i in range(count):
        envelope = min(1.0, i / fade, (count - 1 - i) / fade)
        out[i] = round(amplitude * envelope * math.sin(step * i))
    return out
