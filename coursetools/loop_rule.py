"""The for-loop rule, checked by reading the student's source text (never by running it).

The hidden test `_grader.check_loops` inspects the live functions in the student's kernel, where student code
could switch it off; the verifier applies the same rule here to the notebook's text: the part's function and
the student's functions it calls must contain a loop and must not name a library convolution or windowing
function, directly, through an import alias or through a module-level alias.
"""
import ast
import re

MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)


def parse(sources) -> list[ast.stmt]:
    """The top-level statements of every cell that parses (IPython magics read as `pass`)."""
    statements = []
    for source in sources:
        try:
            statements += ast.parse(MAGIC.sub(r"\1pass", source)).body
        except SyntaxError:
            continue
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
            if any(is_library(name, names, modules) or name in aliases for name in used_names(statement.value)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                aliases.update(t.id for t in targets if isinstance(t, ast.Name))
    return aliases


def is_library(name: str, names, modules) -> bool:
    return (name.split(".")[-1] in names or name.split(".")[0] in modules
            or any(name == m or name.startswith(m + ".") for m in modules))


def used_names(node) -> list[str]:
    """Every name and attribute a piece of code mentions, and the modules it imports."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.append(child.id)
        elif isinstance(child, ast.Attribute):
            found.append(child.attr)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            found += [alias.name for alias in child.names] + [getattr(child, "module", None) or ""]
    return found


def check(sources, part: str, names, modules, other_parts=()) -> None:
    """Raise AssertionError, with the hidden test's wording, if `part` breaks the for-loop rule.

    Calls to `other_parts` are not followed: while a part is graded, the other parts are the references."""
    statements = parse(sources)
    functions = {s.name: s for s in statements if isinstance(s, ast.FunctionDef) and s.name not in other_parts}
    aliases = library_aliases(statements, names, modules)
    assert part in functions, \
        f"the grader cannot read the source of {part}: define it with `def {part}(...)` in its cell"
    todo, seen, has_loop = [part], set(), False
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        function = functions[name]
        has_loop |= any(isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in ast.walk(function))
        for used in used_names(function):
            if is_library(used, names, modules) or used in aliases:
                raise AssertionError(f"{part} uses `{used}` (in {name}): this part asks for explicit for-loops, "
                                     "not a library convolution or windowing function")
            if used in functions and used not in seen:
                todo.append(used)
    assert has_loop, (f"{part} has no for-loop: this part asks you to slide the window with explicit "
                      "for-loops over the output positions")
