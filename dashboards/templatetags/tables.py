"""``{% for header, cell in row.cells|labelled:headers %}``: each cell with its column's header,
for ``<td data-label="…">`` (a table that reflows into cards on a phone shows the header beside
each value; portal.css, ``table.reflow``). The headers' first columns are the row labels'."""

from django import template

register = template.Library()


@register.filter
def labelled(cells, headers) -> list[tuple]:
    cells, headers = list(cells), list(headers)
    return list(zip(headers[len(headers) - len(cells) :], cells, strict=True))
