"""Name → object registries, so that adding a method, attack, dataset or metric is one file.

A module registers its object with a decorator; experiments look objects up by the names in the
config.  Unknown names fail with the list of allowed ones (the config schema refers to a registry
by name through its ``x-registry`` keyword, see :mod:`residue.config`).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import cached_property
from pathlib import Path
from typing import Callable, Generic, Iterator, TypeVar

from .errors import ConfigError

T = TypeVar("T")

_ALL: dict[str, "Registry"] = {}


class Registry(Generic[T]):
    """A named table of objects, filled by importing one module or every module of a package."""

    def __init__(self, kind: str, package: str):
        self.kind = kind
        self.package = package  # modules of this package are imported before the first lookup
        self._items: dict[str, T] = {}
        self._loaded = False
        _ALL[kind] = self

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return decorate

    @staticmethod
    def _import_tree(name: str) -> None:
        """Import the module ``name`` and, when it is a package, every module below it (an
        experiment package's ``__init__`` imports nothing, so that its torch-free ``plan`` module
        can be read by the Snakefile without importing torch)."""
        mod = importlib.import_module(name)
        for info in pkgutil.walk_packages(getattr(mod, "__path__", []), prefix=f"{name}."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                importlib.import_module(info.name)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        self._import_tree(self.package)

    def _load_one(self, module: str) -> None:
        """Import just the module or package a name points to (``poison_unlearning.train`` →
        ``<package>.poison_unlearning`` and its modules), so a job does not import every experiment."""
        if self._loaded or not module.isidentifier():
            return
        try:
            self._import_tree(f"{self.package}.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"{self.package}.{module}":
                raise

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def get(self, name: str, where: str = "") -> T:
        self._load_one(name.split(".")[0])
        if name not in self._items:
            self._load()
        try:
            return self._items[name]
        except KeyError:
            at = f"{where}: " if where else ""
            raise ConfigError(
                f"{at}unknown {self.kind} {name!r}; allowed: {', '.join(self.names())}"
            ) from None

    def __contains__(self, name: str) -> bool:
        self._load()
        return name in self._items

    @cached_property
    def _sources(self) -> list[ast.Module]:
        import residue.registries as regs

        base = Path(regs.__file__).parent.joinpath(*self.package.split(".")[1:])
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        return [ast.parse(path.read_text(), str(path)) for path in files]

    @cached_property
    def _var(self) -> str:
        """The name this registry has in ``residue.registries`` (what ``.register`` calls use)."""
        import residue.registries as regs

        return next(v for v, r in vars(regs).items() if r is self)

    def _registered_name(self, node: ast.AST) -> str | None:
        """``"x"`` when ``node`` is the call ``<THIS REGISTRY>.register("x")``."""
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == self._var
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
        return None

    @cached_property
    def declared(self) -> frozenset[str]:
        """The names registered by ``<REGISTRY>.register("name")`` calls with a literal name,
        read from the package's source instead of importing it (importing torch, diffusers and
        every experiment takes seconds; the config validator and ``residue list`` need only the
        names).  A name registered any other way is found by ``in``, which imports."""
        return frozenset(filter(None, (self._registered_name(n) for tree in self._sources for n in ast.walk(tree))))

    @cached_property
    def _keywords(self) -> dict[str, frozenset[str]]:
        """For each function registered by a decorator: the parameters a config may set, i.e.
        those with a default and the keyword-only ones (the others are supplied by the caller).
        For each registered dataclass (an attack's arguments): its fields with a default,
        inherited ones included when the base class is defined in the same package."""
        classes = {c.name: c for tree in self._sources for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}

        def fields(cls: ast.ClassDef) -> frozenset[str]:
            own = {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and n.value is not None
                   and isinstance(n.target, ast.Name)}
            inherited = (fields(classes[b.id]) for b in cls.bases if isinstance(b, ast.Name) and b.id in classes)
            return frozenset(own).union(*inherited)

        def settable(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
            a = fn.args
            positional = [*a.posonlyargs, *a.args]
            return frozenset(p.arg for p in positional[len(positional) - len(a.defaults):]) | {p.arg for p in a.kwonlyargs}

        out = {}
        for tree in self._sources:
            for node in ast.walk(tree):
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    for name in filter(None, map(self._registered_name, node.decorator_list)):
                        out[name] = fields(node) if isinstance(node, ast.ClassDef) else settable(node)
        return out

    def keywords(self, name: str) -> frozenset[str] | None:
        """The hyper-parameters (or arguments) ``name`` accepts (read from source, no import), or
        None when it is neither a decorated function nor a decorated dataclass (then only the
        job's own check applies)."""
        return self._keywords.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def registry(kind: str) -> Registry:
    """The registry of one kind (``dataset``, ``model``, ...), for the config validator."""
    import residue.registries  # noqa: F401  (creates every registry)

    try:
        return _ALL[kind]
    except KeyError:
        raise ConfigError(f"unknown registry {kind!r}; allowed: {', '.join(sorted(_ALL))}") from None
