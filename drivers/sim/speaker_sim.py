"""The speaker twin: records which sounds were asked for."""

from __future__ import annotations


class SimSpeaker:
    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, sound: str) -> None:
        self.played.append(sound)

    def close(self) -> None:
        pass
