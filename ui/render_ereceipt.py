"""The e-receipt screen: a large QR code of the receipt's link, the link as text, the title
and the notice (why there is no paper receipt, when that is why). Called by ui.render.

Landscape: the code on the left, as tall as the content; the words on the right. Portrait:
the code on top, the words below. The title shrinks (hero, title, body size) before the
words would overflow; the code never shrinks below what a phone reads.
"""

from __future__ import annotations

import pygame

from ui import qr
from ui.panels import notice, notice_height
from ui.view import ViewModel
from ui.widgets import Canvas


def ereceipt(c: Canvas, vm: ViewModel, content: pygame.Rect) -> qr.DrawnQr | None:
    t = c.theme
    if t.portrait:
        room = min(round(content.width * 0.8), round(content.height * 0.55))
        code = pygame.Rect(content.centerx - room // 2, content.y, room, room)
        words = pygame.Rect(content.x, code.bottom + 2 * t.gap, content.width, 0)
        words.height = content.bottom - words.y
    else:
        room = min(content.height, round(content.width * 0.42))
        code = pygame.Rect(content.x, content.centery - room // 2, room, room)
        words = pygame.Rect(code.right + 3 * t.gap, content.y, 0, content.height)
        words.width = content.right - words.x
    drawn = qr.draw(c.surface, vm.qr, code)
    _words(c, vm, words)
    return drawn


def _words(c: Canvas, vm: ViewModel, box: pygame.Rect) -> None:
    """Title, link and notice as one block, centred in `box` (top-aligned in portrait)."""
    t = c.theme
    link = qr.url_lines(c.fonts.get(t.body_px), qr.shown_link(vm.qr), box.width)
    line = c.fonts.get(t.body_px).get_linesize()
    link_h = len(link) * line
    notice_h = notice_height(c, vm.notice, box.width) + 3 * t.gap if vm.notice else 0
    for px in (t.hero_px, t.title_px, t.body_px):
        title_h = c.paragraph_height(vm.title, box.width, px=px, bold=True)
        block = title_h + 2 * t.gap + link_h + notice_h
        if block <= box.height:
            break
    y = box.y if t.portrait else box.y + max(0, (box.height - block) // 2)
    align = "center" if t.portrait else "left"
    title = pygame.Rect(box.x, y, box.width, min(title_h, box.bottom - y))
    y += c.paragraph(vm.title, title, px=px, bold=True, pair="body-on-background", align=align)
    y += 2 * t.gap
    for text in link:
        slot = pygame.Rect(box.x, y, box.width, line)
        if slot.bottom > box.bottom:
            break
        c.text(text, slot, px=t.body_px, pair="muted-on-background", align=align)
        y += line
    if vm.notice:
        rest = pygame.Rect(box.x, y + 3 * t.gap, box.width, box.bottom - y - 3 * t.gap)
        notice(c, vm.notice, rest, kind="problem", align=align)
