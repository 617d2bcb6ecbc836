"""``{{ figure|script_nonce:request }}``: the page's CSP nonce on a figure's inline script.

Plotly figures are a div and an inline ``<script>`` (dashboards/charts.py). Under the
production Content-Security-Policy (django-csp, ``script-src 'self' 'nonce-…'``) an inline
script runs only with the response's nonce. Without CSP (no ``request.csp_nonce``) the HTML is
returned unchanged. Use it only on HTML we generate, never on anything a user wrote.
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)")


@register.filter
def script_nonce(html: str, request) -> SafeString:
    nonce = getattr(request, "csp_nonce", None)
    if nonce is None:  # (not `not nonce`: django-csp's lazy nonce is falsy until first read)
        return mark_safe(html)
    return mark_safe(_INLINE_SCRIPT.sub(f'<script nonce="{escape(str(nonce))}"', html))
