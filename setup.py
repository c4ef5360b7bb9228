"""The one part of the build pyproject.toml cannot say: the optional compiled camt reader.

``syncd.bankfiles._camtflat`` (C) reads a camt entry straight from the tree lxml built, so it
compiles against lxml's own headers, found through ``lxml.get_include()`` at build time (hence
lxml among the build requirements). It is optional: without a C compiler the build goes on and
syncd reads camt files with the pure-Python reader (same results, slower).
"""

import lxml
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "syncd.bankfiles._camtflat",
            sources=["syncd/bankfiles/_camtflat.c"],
            include_dirs=lxml.get_include(),
            define_macros=[("LXML_BUILT_WITH", f'"{lxml.__version__}"')],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
