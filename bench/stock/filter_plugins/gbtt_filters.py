"""gbtt's Jinja filters for ``ansible.builtin.template`` (the stock peer, bench/stock/routers.yml).

The router template (``templates/router/cisco_ios.j2``) uses gbtt's filters (``netmask``,
``wildcard``, ``network``, ``ios_type9`` …); the stock peer renders it with Ansible's own
``template`` module, so it gets the very same functions from gbtt's renderer
(:func:`gbtt.render.environment`): gbtt is installed in bench/.venv-stock for this.
"""

from __future__ import annotations

from gbtt import render

NAMES = ("netmask", "prefix", "wildcard", "network", "xapi", "ios_type9")


class FilterModule:
    def filters(self):
        env = render.environment()
        return {name: env.filters[name] for name in NAMES}
