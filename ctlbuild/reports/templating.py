"""Rendering reports through Jinja2 templates: the built-in ones, or a user's folder first.

>>> from ctlbuild.reports.templating import render_template
>>> text = render_template("changelog", "md", {"t": t, ...}, lang="zh-CN")   # doctest: +SKIP

A report ``name`` in ``fmt`` for ``lang`` is the first of these templates found,
each looked up in the caller's ``templates`` folder before the built-in one (``templates/``):

    <name>.<lang>.<fmt>.j2      e.g. changelog.zh-CN.md.j2 (one language only)
    <name>.<fmt>.j2             e.g. changelog.md.j2 (every language, words from ``t``)

The built-in templates are all of the second kind, so a user's ``changelog.md.j2``
replaces the built-in one for every language. A user's template may ``{% extends %}``
or ``{% include %}`` a built-in one by name. HTML (``*.html.j2``) is autoescaped;
Markdown cells go through the ``md`` filter. Undefined names are errors, named with
the template and line, never blanks in the output.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from ..errors import FormatError, UsageError

FORMATS = ("md", "html")


#: Where the built-in templates live in a source checkout (and an editable install).
_CHECKOUT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: The package they are shipped as in a wheel (pyproject.toml maps templates/ onto it).
_PACKAGE = "ctlbuild._templates"


def builtin_loader() -> jinja2.BaseLoader:
    """The built-in templates: the checkout's ``templates/`` folder when ctlbuild runs from
    one, else the copy the wheel carries as the ``ctlbuild._templates`` package data."""
    if (_CHECKOUT_TEMPLATES / "changelog.md.j2").is_file():
        return jinja2.FileSystemLoader(str(_CHECKOUT_TEMPLATES))
    try:
        return jinja2.PackageLoader("ctlbuild", "_templates")
    except ValueError:  # PackageLoader's word for "no such folder in the package"
        raise FormatError("the built-in templates are missing from this installation "
                          f"(neither {_CHECKOUT_TEMPLATES} nor the {_PACKAGE} package data)") from None


def md_escape(value) -> str:
    """Text safe in a Markdown paragraph or table cell: no markup, no cell breaks."""
    text = "" if value is None else str(value)
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.splitlines())


def one_line(value) -> str:
    """Text with no line breaks or control characters: safe in a comment of a script or .reg
    file, where a newline a list smuggled in would start a line of code."""
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else " " for ch in text)


def ps_quote(value) -> str:
    """The inside of a PowerShell single-quoted string: quotes doubled (PowerShell also
    closes a string at the typographic quotes U+2018..U+201B), one line."""
    text = one_line(value)
    for quote in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(quote, quote * 2)
    return text


def reg_quote(value) -> str:
    """The inside of a double-quoted .reg string value: backslashes and quotes escaped, one line."""
    return one_line(value).replace("\\", "\\\\").replace('"', '\\"')


def _environment(user_dir: str | None) -> jinja2.Environment:
    # A new environment each time (a few ms): a cached one would keep serving the template
    # it chose before a user added their own under a name looked up first.
    loaders = [jinja2.FileSystemLoader(user_dir)] if user_dir else []
    loaders.append(builtin_loader())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "htm.j2"),
                                            default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_escape
    env.filters["one_line"] = one_line  # deploy kits: comments in .ps1 and .reg files
    env.filters["ps"] = ps_quote
    env.filters["reg"] = reg_quote
    return env


def template_names(name: str, fmt: str, lang: str) -> list[str]:
    return [f"{name}.{lang}.{fmt}.j2", f"{name}.{fmt}.j2"]


def render_template(name: str, fmt: str, context: dict, lang: str = "en",
                    templates: Path | str | None = None) -> str:
    """``context`` is passed to the template as is; errors name the template and line."""
    if templates is not None and not Path(templates).is_dir():
        raise UsageError(f"{templates}: not a folder of templates").because("templates")
    env = _environment(str(Path(templates).resolve()) if templates is not None else None)
    names = template_names(name, fmt, lang)
    try:
        template = env.select_template(names)
    except jinja2.TemplatesNotFound:
        raise UsageError(f"no template for {name} as {fmt} (looked for {', '.join(names)})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise FormatError(f"line {exc.lineno}: {exc.message}", path=exc.filename or exc.name) from None
    try:
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:  # an included template, compiled on first use
        raise FormatError(f"line {exc.lineno}: {exc.message}", path=exc.filename or exc.name) from None
    except jinja2.UndefinedError as exc:
        raise FormatError(f"{exc.message} (at line {_template_line(exc)})",
                          path=template.filename) from None


def _template_line(exc: BaseException) -> str:
    """The template line an error was raised at, from the traceback Jinja2 rewrites."""
    tb, line = exc.__traceback__, "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = str(tb.tb_lineno)
        tb = tb.tb_next
    return line
