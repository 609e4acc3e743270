"""The ESC/POS decoder reads back exactly what python-escpos sends, in any chunking."""

from __future__ import annotations

from typing import Any

import pytest
from escpos.capabilities import get_profile
from escpos.codepages import CodePages
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.receipt import Receipt
from drivers.escpos_decode import (
    CODE_TABLES,
    Barcode,
    Command,
    Cut,
    EscPosDecoder,
    Other,
    Pulse,
    QrCode,
    StatusKind,
    StatusRequest,
    Text,
    coalesce,
    receipt_text,
)
from drivers.printer_escpos import pulse_command
from drivers.receipt_layout import ReceiptLayout, return_code

URL = "https://receipts.example"


class RecordingDummy(Dummy):  # type: ignore[misc]
    """A Dummy that also keeps every string handed to text(): the ground truth."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.texts: list[str] = []

    def text(self, txt: str) -> None:
        self.texts.append(txt)
        super().text(txt)


def _decode_in_chunks(data: bytes, size: int) -> list[Command]:
    decoder = EscPosDecoder()
    out: list[Command] = []
    for i in range(0, len(data), size):
        out += decoder.receive_data(data[i : i + size])
    assert decoder.pending == b""
    return coalesce(out)


def _rendered(receipt: Receipt) -> RecordingDummy:
    printer = RecordingDummy(profile="default")
    ReceiptLayout(ereceipt_base_url=URL).render(printer, receipt)
    return printer


def test_full_receipt_decodes_to_exactly_the_text_that_was_sent(receipt: Receipt) -> None:
    """GIVEN a whole receipt rendered by python-escpos into a Dummy
    WHEN it is decoded
    THEN the decoded text is every string passed to text(), no parameter byte read as text,
    AND the barcode, the QR code and the cut are recognised."""
    printer = _rendered(receipt)

    commands = EscPosDecoder().receive_data(printer.output)

    decoded = "".join(c.text for c in commands if isinstance(c, Text))
    assert decoded == "".join(printer.texts)
    assert Barcode("CODE128", "{B" + return_code(receipt), hri=True) in commands
    assert QrCode(f"{URL}/{receipt.sale_id}") in commands
    assert isinstance(commands[-1], Cut)
    assert not any(isinstance(c, Other) and c.data[:1] not in b"\x1b\x1d" for c in commands)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_chunked_input_decodes_like_the_whole(receipt: Receipt, size: int) -> None:
    """GIVEN the receipt bytes WHEN fed in chunks of 1, 2, 3, 7 and 64 bytes
    THEN the commands are the same as from one piece (text joined where chunks split it)."""
    data = _rendered(receipt).output

    assert _decode_in_chunks(data, size) == coalesce(EscPosDecoder().receive_data(data))


def test_exact_commands_for_a_small_job() -> None:
    """GIVEN init, bold, a Polish word, a cut WHEN decoded THEN every byte is accounted for."""
    printer = Dummy(profile="default")
    printer.hw("INIT")
    printer.set(bold=True)
    printer.textln("Łódź")
    printer.cut(feed=False)

    assert EscPosDecoder().receive_data(printer.output) == [
        Other(b"\x1b@"),
        Other(b"\x1bE\x01"),
        Other(b"\x1bt\x12"),  # python-escpos picks CP852 for Ł
        Text("Łódź\n"),
        Cut(partial=True),  # GS V 66 0
    ]


def test_polish_and_german_names_survive_the_code_page_switches() -> None:
    """GIVEN names needing CP852, CP437 and another table for € WHEN printed and decoded
    THEN the text reads as written."""
    printer = Dummy(profile="default")
    printer.textln("Żubrówka Müsli 2,49 € 2,49 zł £1")

    assert receipt_text(printer.output) == "Żubrówka Müsli 2,49 € 2,49 zł £1\n"


def test_code_tables_agree_with_python_escpos() -> None:
    """GIVEN the default profile's ESC t numbers WHEN compared THEN our codecs are the same."""
    for number, name in get_profile("default").codePages.items():
        codec = CodePages.get_encoding(name).get("python_encode") if name != "Unknown" else None
        if codec and int(number) in CODE_TABLES:
            assert CODE_TABLES[int(number)].replace("-", "_") == codec.replace("-", "_")


def test_unknown_sequences_become_other_and_decoding_goes_on() -> None:
    """GIVEN unknown ESC, GS, FS and DLE sequences between text WHEN decoded
    THEN each is an Other and the text around them survives."""
    data = b"A\x1b\xffB\x1d\xfeC\x1c\xfdD\x10\x99E\x07F"

    assert EscPosDecoder().receive_data(data) == [
        Text("A"),
        Other(b"\x1b\xff"),
        Text("B"),
        Other(b"\x1d\xfe"),
        Text("C"),
        Other(b"\x1c\xfd"),
        Text("D"),
        Other(b"\x10"),
        Text("\x99E".encode("latin-1").decode("cp437")),
        Other(b"\x07"),
        Text("F"),
    ]


def test_an_unfinished_command_waits_for_its_parameter() -> None:
    """GIVEN `ESC t` at the end of a chunk WHEN its parameter arrives next
    THEN the following text is decoded in the selected table, not the parameter as text."""
    decoder = EscPosDecoder()

    assert decoder.receive_data(b"\x1bt") == []
    assert decoder.pending == b"\x1bt"
    assert decoder.receive_data(b"\x12\x9d") == [Other(b"\x1bt\x12"), Text("Ł")]


def test_image_data_is_skipped_even_when_it_looks_like_commands() -> None:
    """GIVEN a raster image whose bytes contain a cut and text WHEN decoded
    THEN the image is one Other and nothing inside it is read."""
    image = b"\x1dV\x00HELLO\x10\x04\x01"  # 11 bytes: 11 wide × 1 high
    header = b"\x1dv0\x00\x0b\x00\x01\x00"
    data = header + image + b"after"

    assert EscPosDecoder().receive_data(data) == [
        Other(header + image),
        Text("after"),
    ]


def test_status_requests_are_recognised_between_text() -> None:
    """GIVEN DLE EOT 1..4 and GS r 1/49/2 WHEN decoded THEN each is a StatusRequest."""
    data = b"a\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04b\x1dr\x01\x1dr1\x1dr\x02c"

    assert EscPosDecoder().receive_data(data) == [
        Text("a"),
        StatusRequest(StatusKind.PRINTER),
        StatusRequest(StatusKind.OFFLINE_CAUSE),
        StatusRequest(StatusKind.ERROR_CAUSE),
        StatusRequest(StatusKind.PAPER_SENSOR),
        Text("b"),
        StatusRequest(StatusKind.GS_PAPER_SENSOR),
        StatusRequest(StatusKind.GS_PAPER_SENSOR),
        StatusRequest(StatusKind.GS_DRAWER),
        Text("c"),
    ]


def test_drawer_pulses_carry_pin_and_times() -> None:
    """GIVEN python-escpos's kicks, ours, and the real-time DLE DC4 pulse WHEN decoded
    THEN each is a Pulse with its pin and its on/off times in milliseconds."""
    printer = Dummy(profile="default")
    printer.cashdraw(2)
    printer.cashdraw(5)
    data = printer.output + pulse_command(5, 50, 500) + b"\x10\x14\x01\x00\x02"

    assert EscPosDecoder().receive_data(data) == [
        Pulse(pin=2, on_ms=100, off_ms=100),
        Pulse(pin=5, on_ms=100, off_ms=100),
        Pulse(pin=5, on_ms=50, off_ms=500),
        Pulse(pin=2, on_ms=200, off_ms=200),
    ]


def test_a_bare_kick_takes_the_next_two_bytes_as_its_times() -> None:
    """GIVEN `ESC p 0` without times then text WHEN decoded THEN, as on a printer, the
    first two text bytes are the pulse times (why every kick must carry its times)."""
    assert EscPosDecoder().receive_data(b"\x1bp\x00ok!") == [
        Pulse(pin=2, on_ms=ord("o") * 2, off_ms=ord("k") * 2),
        Text("!"),
    ]


@given(st.binary(max_size=300), st.lists(st.integers(1, 40), max_size=30))
def test_any_bytes_in_any_chunks_decode_without_error_and_alike(
    data: bytes, cuts: list[int]
) -> None:
    """GIVEN arbitrary bytes (garbage, truncated commands) split anywhere
    WHEN decoded THEN nothing raises, and the result equals decoding them in one piece."""
    decoder, out, at = EscPosDecoder(), [], 0
    for size in cuts:
        out += decoder.receive_data(data[at : at + size])
        at += size
    out += decoder.receive_data(data[at:])

    whole = EscPosDecoder()
    assert coalesce(out) == coalesce(whole.receive_data(data))
    assert decoder.pending == whole.pending
