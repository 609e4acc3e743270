"""paho-mqtt's MQTT 5 property and reason-code objects, made cheap to create.

paho 2.2 builds a `Properties` for every PUBLISH it receives and a `Properties` and two
`ReasonCode`s for every PUBACK: each `Properties()` rebuilds its tables of 27 property
names and types (27 `list.index` calls) and `clear()`s itself (27 `str.replace` and
`hasattr`), each `ReasonCode()` copies a 45-entry dict and searches it for "Success". That
was about 16 µs of the ~41 µs paho spends on each received PUBLISH here, on the busiest
thread of `headoffice ingest` and again on the kiosk for each PUBACK (the backlog drain of
issue 7, docs/benchmarks.md).

`apply()` replaces three methods with equivalents that share those tables, which paho only
ever reads: `Properties.__init__`, `Properties.clear` and `ReasonCode.__init__`. Nothing
else changes: the same attributes, the same errors, the same bytes on the wire
(tests/shell/test_paho_speed.py checks them against paho's own methods). It applies only to
the paho version it was checked against (PAHO_CHECKED); any other version runs as shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import paho.mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

PAHO_CHECKED = "2.2.0"
_OWN = frozenset({"packetType", "types", "names", "properties"})  # Properties' own fields
ORIGINAL: dict[str, Callable[..., None]] = {
    "Properties.__init__": Properties.__init__,
    "Properties.clear": Properties.clear,
    "ReasonCode.__init__": ReasonCode.__init__,
}
_applied = False


def apply() -> bool:
    """Install the cheap constructors (once; idempotent). False when paho is not the
    version they were checked against, and nothing is changed."""
    global _applied
    if _applied:
        return True
    if paho.mqtt.__version__ != PAHO_CHECKED:
        log.info(
            "paho-mqtt %s, not %s: its property objects stay as shipped",
            paho.mqtt.__version__,
            PAHO_CHECKED,
        )
        return False
    template = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's tables
    tables = {name: template.__dict__[name] for name in ("types", "names", "properties")}

    def properties_init(self: Properties, packetType: int) -> None:
        fields = self.__dict__
        fields["packetType"] = packetType
        fields.update(tables)

    def properties_clear(self: Properties) -> None:
        for name in [name for name in self.__dict__ if name not in _OWN]:
            delattr(self, name)

    reason_ids: dict[tuple[int, str], int] = {}

    def reason_init(
        self: ReasonCode, packetType: int, aName: str = "Success", identifier: int = -1
    ) -> None:
        self.names = type(self).names  # a mappingproxy, read-only everywhere in paho
        self.packetType = packetType
        if identifier != -1:
            self.value = identifier
            self.getName()  # check it's good, as paho does
            return
        if packetType == PacketTypes.DISCONNECT and aName == "Success":
            aName = "Normal disconnection"
        known = reason_ids.get((packetType, aName))
        if known is None:
            self.set(aName)  # paho's search; raises for a name that does not exist
            reason_ids[(packetType, aName)] = self.value
        else:
            self.value = known

    Properties.__init__ = properties_init  # type: ignore[method-assign]
    Properties.clear = properties_clear  # type: ignore[method-assign]
    ReasonCode.__init__ = reason_init  # type: ignore[method-assign]
    _applied = True
    return True
