"""The for-loop rule, checked by reading the student's source text (never by running it).

The verifier applies the rule to the notebook's text: the part's function and the student's functions and
classes it uses must contain a loop and must not name a library convolution or windowing function, directly,
through an import alias or through a module-level alias. What the text cannot show is refused, with the reason:
a lookup by a computed name (`getattr(np.lib, "stride_" + "tricks")`, `__import__` of a built string,
`importlib`, `eval`, `exec`, `compile`, `globals()`, `vars()`, `__dict__`, `__builtins__`, `sys.modules`, ...) in
that code, or in the code that runs while the program loads and the functions it uses (it could bind any name
to anything); a name that nothing in the program binds (such code made it); a module that is not installed (the
student's code may have written it). `getattr(x, "name")` and `__import__("name")` with constant names count
as using `name`.
"""
import ast
import builtins
import importlib.util
import re
from dataclasses import dataclass

MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)  # what a cell that is not a solution
#                                                                            contributes (see verify_worker.py)
DYNAMIC_NAMES = {"importlib", "eval", "exec", "compile", "globals", "vars", "locals", "__builtins__"}
DYNAMIC_ATTRIBUTES = {"__dict__", "__getattribute__", "__getattr__", "__code__", "__globals__", "__builtins__",
                      "modules"}  # `modules`: sys.modules
NAMED_BY_STRING = {"getattr": slice(1, 2), "setattr": slice(1, 2), "delattr": slice(1, 2), "hasattr": slice(1, 2),
                   "attrgetter": slice(None), "methodcaller": slice(0, 1), "__import__": slice(0, 1)}
#                  which of their arguments are names: constants count as used names, anything else is refused


def parse(sources) -> list[ast.stmt]:
    """The top-level statements of every cell that parses (IPython magics read as `pass`).

    A cell given as (source, definitions only?, ...) contributes only its imports, functions and classes when
    the flag is set, as in the verifier's worker; a cell given as a string contributes everything."""
    statements = []
    for cell in sources:
        source, definitions_only = (cell, False) if isinstance(cell, str) else cell[:2]
        try:
            body = ast.parse(MAGIC.sub(r"\1pass", source)).body
        except SyntaxError:
            continue
        statements += [s for s in body if not definitions_only or isinstance(s, DEFINITIONS)]
    return statements


def library_aliases(statements, names, modules) -> set[str]:
    """Module-level names that stand for a library module or function: imports and assignments of one."""
    aliases = set()
    for statement in statements:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            origin = getattr(statement, "module", None) or ""
            for alias in statement.names:
                full = f"{origin}.{alias.name}" if origin else alias.name
                if is_library(full, names, modules) or is_library(alias.name, names, modules):
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            if any(is_library(name, names, modules) or name in aliases
                   for name in used_names(ast.walk(statement.value))):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                aliases.update(t.id for t in targets if isinstance(t, ast.Name))
    return aliases


def is_library(name: str, names, modules) -> bool:
    return (name.split(".")[-1] in names or name.split(".")[0] in modules
            or any(name == m or name.startswith(m + ".") for m in modules))


def used_names(nodes) -> list[str]:
    """Every name and attribute `nodes` mention, the modules they import, and the names given as constant strings
    to getattr, attrgetter, __import__ and friends."""
    found = []
    for child in nodes:
        if isinstance(child, ast.Name):
            found.append(child.id)
        elif isinstance(child, ast.Attribute):
            found.append(child.attr)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            found += [alias.name for alias in child.names] + [getattr(child, "module", None) or ""]
        elif (names := string_names(child)) is not None:
            found += [part for name in names for part in name.split(".")]
    return found


def string_names(node) -> list[str] | None:
    """The attribute names of a getattr-like call, if they are all constant strings (None if it is not one)."""
    function = node.func if isinstance(node, ast.Call) else None
    called = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    if called not in NAMED_BY_STRING or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    names = node.args[NAMED_BY_STRING[called]]
    return [a.value for a in names] if names and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                                      for a in names) else None


def dynamic(nodes) -> str | None:
    """What among `nodes` the rule cannot follow: a lookup by a computed name, or a door to any name at all."""
    nodes = list(nodes)
    constant_calls = {id(n.func) for n in nodes if string_names(n) is not None}
    for node in nodes:
        if isinstance(node, (ast.Name, ast.Attribute)):
            word, doors = (node.id, DYNAMIC_NAMES) if isinstance(node, ast.Name) else (node.attr, DYNAMIC_ATTRIBUTES)
            if word in doors or word in NAMED_BY_STRING and id(node) not in constant_calls:
                return word
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported = [f"{getattr(node, 'module', None) or ''}.{a.name}".lstrip(".") for a in node.names]
            if any(name.split(".")[0] == "importlib" or name == "sys.modules" for name in imported):
                return "import " + ", ".join(imported)
    return None


def run_while_loading(statements):
    """Every node of the code that runs while the program loads: all of it but the bodies of functions."""
    todo = list(statements)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo += node.decorator_list + [node.args] + ([node.returns] if node.returns else [])
        else:
            todo += ast.iter_child_nodes(node)


def reach(names, functions: dict) -> list:
    """The program's functions and classes that code using `names` leads to, through the names their code uses."""
    todo, found = list(names), {}
    while todo:
        name = todo.pop()
        if name in functions and name not in found:
            found[name] = functions[name]
            todo += used_names(ast.walk(functions[name]))
    return list(found.values())


def installed(module: str) -> bool:
    """Whether `module` is part of Python or the course's environment, not a file the student's code wrote."""
    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):  # a relative or empty name
        return False


def bound_names(statements) -> set[str]:
    """Every name that the program's text binds anywhere (assigned, defined, imported, a parameter, ...)."""
    bound = set(dir(builtins))
    for node in ast.walk(ast.Module(list(statements), type_ignores=[])):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound


def imported_modules(statements) -> dict[str, str]:
    """{name: the module it comes from} for every name an import binds."""
    modules = {}
    for node in ast.walk(ast.Module(list(statements), type_ignores=[])):
        if isinstance(node, ast.Import):
            modules.update({a.asname or a.name.split(".")[0]: a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom):
            modules.update({a.asname or a.name: "." * node.level + (node.module or "") for a in node.names})
    return modules


@dataclass(frozen=True)
class Program:
    aliases: set   # module-level names for library functions and modules
    bound: set     # every name the program's text binds
    imports: dict  # {name: module} for the program's top-level imports


def objection(function, names, modules, program: Program, require_loop: bool = True) -> str | None:
    """What in `function` (a graded function or a helper of one) breaks the rule, as the words after "<part> uses"."""
    where = f"(in {function.name})"
    for word in used_names(ast.walk(function)):
        if is_library(word, names, modules) or word in program.aliases:
            return (f"`{word}` {where}: this part asks for explicit for-loops, not a library convolution or "
                    "windowing function" if require_loop else
                    f"`{word}` {where}: this part may not use a library convolution")
    if what := dynamic(ast.walk(function)):
        return (f"`{what}` {where}: the grader reads your code to check the for-loop rule and cannot follow a "
                "lookup by a computed name; call functions by their names")
    loaded, local = [n.id for n in ast.walk(function) if isinstance(n, ast.Name)], imported_modules([function])
    for word in loaded:
        if (module := local.get(word) or program.imports.get(word)) is not None and not installed(module):
            return (f"`{word}` from the module {module} {where}, which is not installed: the grader cannot read it. "
                    "Write your helpers in the notebook")
        if word not in program.bound:
            return (f"`{word}` {where}, which nothing in your notebook defines (was it made by exec or globals()?): "
                    "define it with def, class, import or an assignment")
    return None


def check(sources, part: str, names, modules, other_parts=(), require_loop=True) -> None:
    """Raise AssertionError, with the hidden test's wording, if `part` breaks the for-loop rule (with
    `require_loop` False: only the rule's ban on the library names and modules, as for a vectorised part).

    `sources` are the program's cells (see `parse`); what runs while the program loads is checked only if they
    come with their flags (strings do not say which cells run). Calls to `other_parts` are not followed: while a
    part is graded, the other parts are the references."""
    statements = parse(sources)
    everything = {s.name: s for s in statements if isinstance(s, (ast.FunctionDef, ast.ClassDef))}
    functions = {name: s for name, s in everything.items() if name not in other_parts}
    assert isinstance(functions.get(part), ast.FunctionDef), \
        f"the grader cannot read the source of {part}: define it with `def {part}(...)` in its cell"
    flagged = not any(isinstance(cell, str) for cell in sources)
    loading = list(run_while_loading(statements)) if flagged else []  # and the functions it uses (not every
    #                                                                   method of a class it names)
    plain = {name: s for name, s in everything.items() if isinstance(s, ast.FunctionDef)}
    if what := dynamic(loading + [n for f in reach(used_names(loading), plain) for n in ast.walk(f)]):
        raise AssertionError(f"{part} cannot be checked: code that runs while your notebook loads uses `{what}`, "
                             "which can make any name stand for anything, so the grader cannot read from your code "
                             "what it calls. Use plain imports, assignments and calls at the top level")
    # The other parts count as defined: while a part is graded they are the references, even if the student's
    # cell for one of them does not parse.
    program = Program(library_aliases(statements, names, modules), bound_names(statements) | set(other_parts),
                      imported_modules(statements))
    graded = reach([part], functions)
    for function in graded:
        if why := objection(function, names, modules, program, require_loop):
            raise AssertionError(f"{part} uses {why}")
    assert not require_loop or any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for f in graded for n in ast.walk(f)), \
        (f"{part} has no for-loop: this part asks you to slide the window with explicit "
         "for-loops over the output positions")
