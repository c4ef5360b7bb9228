"""``syncd demo``: one realistic day of bank money reconciled against the built-in Bokio sandbox.

:mod:`.bankday` writes the bank files (pure), :mod:`.world` sets up the sandbox company,
:mod:`.run` wires syncd to both and runs one cycle, :mod:`.report` tells a finance person what
happened.
"""

from __future__ import annotations
