"""Which names a notebook cell reads and binds: the data flow that tells a lesson which stored
outputs depend on an exercise's answer (see ``lessons.answer_dependent_cells``)."""

import ast


def names_read(node):
    """The names a syntax tree reads from outside it (``x += 1`` reads ``x`` too). Inside a
    function, lambda or comprehension, its parameters and local names are not counted."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = node.args
        params = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
        params |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a}
        body = node.body if isinstance(node.body, list) else [node.body]
        local = params | set().union(*(bound(b) for b in body))
        outside = arguments.defaults + [d for d in arguments.kw_defaults if d]
        outside += getattr(node, "decorator_list", [])
        return (set().union(*map(names_read, body)) - local) | set().union(*map(names_read, outside))
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        targets = set().union(*(bound(g.target) for g in node.generators))
        inner = [child for child in ast.iter_child_nodes(node)]
        return set().union(*map(names_read, inner)) - targets | names_read(node.generators[0].iter)
    if isinstance(node, (ast.For, ast.AsyncFor)):  # the body reads the target's fresh value
        body = block_names(node.body, bound(node.target)) | block_names(node.orelse)
        return names_read(node.iter) | names_read(node.target) | body
    if isinstance(node, ast.Name):
        return set() if isinstance(node.ctx, ast.Store) else {node.id}
    found = set().union(*map(names_read, ast.iter_child_nodes(node)))
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        found.add(node.target.id)
    return found


def block_names(statements, already_bound=()):
    """The names a block of statements reads before it binds them itself."""
    found, known = set(), set(already_bound)
    for statement in statements:
        found |= names_read(statement) - known
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom,
                                  ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            known |= bound(statement)  # bound for certain from here on
    return found


def base_name(node):
    """The variable at the root of ``a``, ``a.b``, ``a[0].c``..., or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def bound(statement):
    """The global names a top-level statement (re)binds: assignment and loop targets, the
    names of functions and classes, imports (not the local names inside a function)."""
    names, todo = set(), [statement]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= imported(node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))
    return names


def imported(statement):
    return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}


def changed(statement, carrying):
    """The names whose values a statement may change in place: the roots of attribute and item
    targets (``log["d"] = ...``), of method calls (``log.append(...)``, ``model.fit(...)``), and
    the variables handed to a call that involves an answer (``train_step(real, z, gen, ...)`` or
    ``fit(gen, train_step)`` may change ``gen``)."""
    names, todo = set(), [statement]
    while todo:
        sub = todo.pop()
        if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx,
                                                                          (ast.Store, ast.Del)):
            names.add(base_name(sub))
        elif isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute):
                names.add(base_name(sub.func.value))
            if names_read(sub) & carrying:  # an answer goes in: the arguments may come out names
                names |= {base_name(arg) for arg in sub.args + [k.value for k in sub.keywords]
                            if isinstance(arg, (ast.Name, ast.Starred))}
        if not isinstance(sub, _SCOPES):  # a function body runs when called, not here
            todo.extend(ast.iter_child_nodes(sub))
    return names - {None}


def statements(source):
    """The top-level statements of a code cell (IPython magics and shell lines left out), or
    None when it does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines)).body
    except SyntaxError:
        return None
