"""Framework routes that run once per invocation of a Lambda function, read from one module's model.

A route is a module-level function decorated by a route decorator of a framework object
(``@app.get("/items")``, ``@bp.route("/b")``). It is a Lambda handler when its object is served on
Lambda, which the module or a declaration shows:

* Chalice apps and blueprints, AWS Lambda Powertools resolvers and routers, and crhelper's
  ``CfnResource`` (a custom resource's ``@helper.create``/``update``/``delete`` functions) exist
  only on Lambda: their routes are always handlers;
* a FastAPI/Starlette app or ``APIRouter``, or a Flask app or blueprint, is served when this
  module hands it to a Lambda adapter (``Mangum(app)``, ``serverless_wsgi.handle_request(app,
  ...)``, ``awsgi.response(app, ...)``, ``apig_wsgi.make_lambda_handler(app)``), when a
  declaration names the object itself (serverless-wsgi's ``custom.wsgi.app``, Zappa's
  ``app_function``, a router that a served app includes), or when a declared handler is such an
  adapter (``handler = Mangum(app)`` in serverless.yml's ``main.handler``).

An app that an application factory builds and returns (``app = create_app()``) is served like the
name it is bound to: the factory's nested routes and the resources and blueprints it adds.

``served_elsewhere`` says which served objects come from other modules (``from main import app``
then ``Mangum(app)``, ``app.include_router(items.router)``), so that pinlint.declarations can
declare them in the module that defines them. Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pinlint.pymodel import PythonModule

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Framework:
    name: str
    classes: tuple[str, ...]  # qualified constructors of its app, blueprint or router objects
    decorators: tuple[str, ...]  # the decorator attributes that make a route
    lambda_only: bool  # it runs nowhere but on Lambda: its routes are handlers without an adapter


_HTTP = ("get", "post", "put", "delete", "patch", "head", "options")
_POWERTOOLS = "aws_lambda_powertools.event_handler"
FRAMEWORKS = (
    Framework(
        "Chalice",
        ("chalice.Chalice", "chalice.app.Chalice", "chalice.Blueprint", "chalice.app.Blueprint"),
        ("route", "lambda_function", "schedule", "authorizer", "on_*"),
        lambda_only=True,
    ),
    Framework(
        "Powertools",
        tuple(
            f"{_POWERTOOLS}{module}.{name}"
            for module in ("", ".api_gateway", ".appsync", ".lambda_function_url", ".vpc_lattice", ".bedrock_agent")
            for name in (
                "APIGatewayRestResolver",
                "APIGatewayHttpResolver",
                "ALBResolver",
                "LambdaFunctionUrlResolver",
                "VPCLatticeResolver",
                "VPCLatticeV2Resolver",
                "BedrockAgentResolver",
                "AppSyncResolver",
                "Router",
            )
        ),
        (*_HTTP, "route", "resolver"),
        lambda_only=True,
    ),
    Framework(  # a CloudFormation custom resource: `helper = CfnResource()`, `@helper.create`, `helper(event, context)`
        "crhelper",
        ("crhelper.CfnResource", "crhelper.resource_helper.CfnResource"),
        ("create", "update", "delete", "poll_create", "poll_update", "poll_delete"),
        lambda_only=True,
    ),
    Framework(
        "FastAPI",
        ("fastapi.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter", "starlette.applications.Starlette"),
        (*_HTTP, "api_route", "route", "websocket"),
        lambda_only=False,
    ),
    Framework(
        "Flask",
        ("flask.Flask", "flask.Blueprint", "flask.blueprints.Blueprint"),
        (*_HTTP, "route", "before_request", "before_app_request"),
        lambda_only=False,
    ),
)
# Lambda adapters: a call of one serves the app given as its first argument.
ADAPTERS = {
    "mangum.Mangum": "Mangum",
    "mangum.adapter.Mangum": "Mangum",
    "serverless_wsgi.handle_request": "serverless-wsgi",
    "awsgi.response": "aws-wsgi",
    "aws_wsgi.response": "aws-wsgi",
    "apig_wsgi.make_lambda_handler": "apig-wsgi",
}
# Calls that attach a router or blueprint to a served app: app.include_router(router).
INCLUDES = ("include_router", "register_blueprint")
# Flask-RESTful / Flask-RESTX: `api = Api(app)`, then `api.add_resource(Resource, "/path")`: the
# resource class's HTTP methods are the handlers.
RESOURCE_APIS = ("flask_restful.Api", "flask_restx.Api")
RESOURCE_BASES = ("flask_restful.Resource", "flask_restx.Resource")
# The methods of a class-based view that run on a request: Django's and Flask's ``View`` and
# ``MethodView`` (HTTP methods, ``dispatch``, ``dispatch_request``) and DRF's ``ViewSet`` actions.
VIEW_METHODS = (
    *_HTTP,
    "dispatch",
    "dispatch_request",
    "list",
    "create",
    "retrieve",
    "update",
    "partial_update",
    "destroy",
)


def _framework_objects(model: PythonModule) -> dict[str, Framework]:
    """Module-level names bound to a framework object: ``app = FastAPI()`` -> FastAPI."""
    found: dict[str, Framework] = {}
    for node in model.tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or not isinstance(node.value, ast.Call):
            continue
        qualified = model.qualify(node.value.func)
        framework = next((each for each in FRAMEWORKS if qualified in each.classes), None)
        if framework is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        found.update({target.id: framework for target in targets if isinstance(target, ast.Name)})
    return found


def _adapted(model: PythonModule) -> dict[str, tuple[str, int, str]]:
    """Names handed to a Lambda adapter anywhere in the module: name -> (adapter, line, the
    module-level name the adapter's result is bound to, or '')."""
    bound = {
        id(node.value): target.id
        for node in model.tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: dict[str, tuple[str, int, str]] = {}
    for node in ast.walk(model.tree):
        if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Name):
            continue
        adapter = ADAPTERS.get(model.qualify(node.func))
        if adapter is not None:
            found.setdefault(node.args[0].id, (adapter, node.lineno, bound.get(id(node), "")))
    return found


# The top-level modules whose use can make a module's routes Lambda handlers: the adapters and the
# frameworks that run only on Lambda (a cheap text test before a module is parsed).
_ROUTE_MODULE_NAMES = sorted(
    {name.split(".")[0] for name in ADAPTERS}
    | {name.split(".")[0] for each in FRAMEWORKS if each.lambda_only for name in each.classes}
)
_ROUTE_MODULES = re.compile(rf"\b(?:{'|'.join(_ROUTE_MODULE_NAMES)})\b")


def may_serve_routes(text: str) -> bool:
    """Whether a module's text names a Lambda adapter or a Lambda-only framework, so that its
    routes may be handlers even when nothing in it connects (they may reach a connection only
    through other modules)."""
    # (substring tests first: an alternation that starts with ``\b`` makes re try every position)
    return any(name in text for name in _ROUTE_MODULE_NAMES) and _ROUTE_MODULES.search(text) is not None


def calls_an_adapter(model: PythonModule) -> bool:
    """Whether the module hands some object to a Lambda adapter (``Mangum(app)``...)."""
    return bool(_adapted(model)) or bool(_adapted_attributes(model))


def _adapted_attributes(model: PythonModule) -> dict[tuple[str, str], tuple[str, int]]:
    """``module.attribute`` handed to a Lambda adapter (``handle_request(app.app, event, context)``
    with ``app`` an imported module): (module's local name, attribute) -> (adapter, line)."""
    found: dict[tuple[str, str], tuple[str, int]] = {}
    if "." not in model.source:
        return found
    for node in ast.walk(model.tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name)):
            continue
        adapter = ADAPTERS.get(model.qualify(node.func))
        if adapter is not None:
            found.setdefault((first.value.id, first.attr), (adapter, node.lineno))
    return found


def _served(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """The module's objects whose routes run on Lambda: name -> why (after "served ")."""
    served: dict[str, str] = {}
    for name, (adapter, line, bound_to) in _adapted(model).items():
        why = declared.get(bound_to) if bound_to else None
        served[name] = f"behind `{adapter}({name})`, line {line}" + (f", {why}" if why else "")
    for name, why in declared.items():
        served.setdefault(name, why)
    return served


def _route_decorator(decorator: ast.expr, objects: dict[str, Framework]) -> tuple[str, str, Framework] | None:
    """(object, attribute, framework) of ``@app.get(...)`` when ``app`` is a framework object."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
        return None
    framework = objects.get(target.value.id)
    if framework is None:
        return None
    attribute = target.attr
    if attribute in framework.decorators or ("on_*" in framework.decorators and attribute.startswith("on_")):
        return target.value.id, attribute, framework
    return None


def _shown(decorator: ast.expr, name: str, attribute: str) -> str:
    """``@app.get("/items")`` (the first argument when it is a string literal), else ``@app.get``."""
    first = decorator.args[0] if isinstance(decorator, ast.Call) and decorator.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and len(first.value) <= 60:
        return f'@{name}.{attribute}("{first.value}")'
    return f"@{name}.{attribute}"


def route_handlers(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """The route functions of this module that run per invocation of a Lambda function, each
    with why: ``a FastAPI `@app.get("/items")` route, line 9, behind `Mangum(app)`, line 15``.
    ``declared`` maps the module's declared names (functions or objects) to why. A method of a
    class-based resource is named ``Class.method``."""
    found = _resource_methods(model, declared)
    found.update(url_rule_functions(model, declared))
    found.update(factory_routes(model, declared))
    objects = _framework_objects(model)
    if not objects:
        return found
    served = _served(model, declared)
    for node in model.tree.body:
        if not isinstance(node, FunctionNode):
            continue
        for decorator in node.decorator_list:
            route = _route_decorator(decorator, objects)
            if route is None:
                continue
            name, attribute, framework = route
            kind = "function" if framework.name in ("Chalice", "crhelper") else "route"
            what = f"a {framework.name} `{_shown(decorator, name, attribute)}` {kind}, line {decorator.lineno}"
            if framework.lambda_only:
                found.setdefault(node.name, what)
            elif name in served:
                found.setdefault(node.name, f"{what}, {served[name]}")
    return found


def _resource_apis(model: PythonModule, served: dict[str, str]) -> dict[str, str]:
    """Module-level ``api = Api(app)`` over a served app: api -> why the app is served."""
    apis: dict[str, str] = {}
    for node in model.tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and node.value.args):
            continue
        app = node.value.args[0]
        if model.qualify(node.value.func) in RESOURCE_APIS and isinstance(app, ast.Name) and app.id in served:
            apis.update({target.id: served[app.id] for target in node.targets if isinstance(target, ast.Name)})
    return apis


def _added_resources(model: PythonModule, served: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """(resource class, how it is added, line, why its Api's app is served) of each
    ``api.add_resource(Class, ...)`` on an Api of a served app."""
    apis = _resource_apis(model, served)
    added = []
    for node in ast.walk(model.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner, resource = node.func.value, node.args[0]
        if not (node.func.attr == "add_resource" and isinstance(owner, ast.Name) and owner.id in apis):
            continue
        if isinstance(resource, ast.Name):
            how = f"added by `{owner.id}.add_resource({resource.id}, ...)`"
            added.append((resource.id, how, node.lineno, apis[owner.id]))
    return added


def _url_rules(model: PythonModule, served: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """(view, how it is added, line, why its app is served) of each Flask ``app.add_url_rule(rule,
    view_func=View.as_view("name"))`` (or ``view_func=function``) on a served app or blueprint."""
    added = []
    for node in ast.walk(model.tree):
        if not (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_url_rule"
        ):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id in served):
            continue
        given = [keyword.value for keyword in node.keywords if keyword.arg == "view_func"] or node.args[2:3]
        view = given[0] if given else None
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
            view = view.func.value
        if isinstance(view, ast.Name):
            how = f"added by `{owner.id}.add_url_rule(..., view_func={ast.unparse(given[0])})`"
            added.append((view.id, how, node.lineno, served[owner.id]))
    return added


def _local_order(classes: dict[str, ast.ClassDef], name: str) -> list[ast.ClassDef]:
    """The class ``name`` and its base classes defined in this module, depth first, each once."""
    order: list[ast.ClassDef] = []
    pending = [name]
    while pending and len(order) < 16:
        current = pending.pop(0)
        node = classes.get(current)
        if node is None or node in order:
            continue
        order.append(node)
        pending += [base.id for base in node.bases if isinstance(base, ast.Name)]
    return order


def _class_methods(model: PythonModule, order: list[ast.ClassDef], wanted: tuple[str, ...]) -> dict[str, str]:
    """method -> the class of ``order`` that defines it first (``wanted`` names and DRF actions)."""
    found: dict[str, str] = {}
    for cls in order:
        for node in cls.body:
            if isinstance(node, FunctionNode) and (node.name in wanted or _is_action(model, node)):
                found.setdefault(node.name, cls.name)
    return found


def _is_action(model: PythonModule, node: FunctionNode) -> bool:
    """A DRF ``@action`` method of a ViewSet (an extra route)."""
    return any(
        model.qualify(decorator.func if isinstance(decorator, ast.Call) else decorator)
        == "rest_framework.decorators.action"
        for decorator in node.decorator_list
    )


def _resource_methods(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """``Class.get`` and the other HTTP methods of the resource classes defined here that a served
    Api adds, of the view classes a served Flask app adds with ``add_url_rule`` (``MethodView``),
    or of a class a declaration names (added from another module, or a Django class-based view in
    ``urlpatterns``: its HTTP methods, ``dispatch`` and DRF ViewSet actions, its own or inherited
    from a base class of this module)."""
    classes = {node.name: node for node in model.tree.body if isinstance(node, ast.ClassDef)}
    reasons = {name: why for name, why in declared.items() if name in classes}
    if classes and ("add_resource" in model.source or "add_url_rule" in model.source):
        served = _served(model, declared)
        for name, how, line, why in [*_added_resources(model, served), *_url_rules(model, served)]:
            if name in classes:
                reasons.setdefault(name, f"{how}, line {line}, {why}")
    found: dict[str, str] = {}
    for name, why in reasons.items():
        order = _local_order(classes, name)
        resource = any(model.qualify(base) in RESOURCE_BASES for cls in order for base in cls.bases)
        methods = _class_methods(model, order, _HTTP if resource else VIEW_METHODS)
        for method, owner in methods.items():
            noun = "resource" if resource else "view"
            found.setdefault(f"{owner}.{method}", f"the `{method}` method of {noun} `{name}`, {why}")
    return found


def url_rule_functions(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """The module-level functions a served Flask app adds with ``add_url_rule(view_func=f)``."""
    if "add_url_rule" not in model.source:
        return {}
    functions = {node.name for node in model.tree.body if isinstance(node, FunctionNode)}
    return {
        name: f"a Flask view {how}, line {line}, {why}"
        for name, how, line, why in _url_rules(model, _served(model, declared))
        if name in functions
    }


def route_methods(model: PythonModule, names: dict[str, str]) -> dict[str, FunctionNode]:
    """The method nodes of the ``Class.method`` handlers among ``names``."""
    classes = {node.name: node for node in model.tree.body if isinstance(node, ast.ClassDef)}
    found: dict[str, FunctionNode] = {}
    for name in names:
        owner, dot, method = name.partition(".")
        for node in classes[owner].body if dot and owner in classes else []:
            if isinstance(node, FunctionNode) and node.name == method:
                found[name] = node
    return found


@dataclass(frozen=True)
class ServedImport:
    """An object served here that another module defines: ``module`` is its dotted name as
    written (``level`` dots of a relative import before it), ``name`` the object's name there."""

    module: str
    level: int
    name: str
    why: str  # "included by `app.include_router(items.router)`"
    line: int


def _imported_from(model: PythonModule) -> dict[str, tuple[str, int, str]]:
    """Local name -> (module, level, name in it) for ``from m import x`` and ``import m``
    (``name`` is '' for a module imported whole), relative imports included."""
    found: dict[str, tuple[str, int, str]] = {}
    for node in model.tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = (alias.name, 0, "")
    return found


def served_elsewhere(model: PythonModule, declared: dict[str, str]) -> list[ServedImport]:
    """The objects served in this module (adapted or declared here, or included into a served
    app: ``app.include_router(items.router)``) that are imported from another module."""
    imported = _imported_from(model)
    served = _served(model, declared)
    links: list[ServedImport] = []

    def link(local: str, attribute: str, why: str, line: int) -> None:
        if local not in imported:
            return
        module, level, name = imported[local]
        if attribute:  # items.router with `from routers import items` or `import routers.items as items`
            module = ".".join(part for part in (module, name) if part)
            links.append(ServedImport(module, level, attribute, why, line))
        elif name:
            links.append(ServedImport(module, level, name, why, line))

    for name, (adapter, line, _) in _adapted(model).items():
        link(name, "", f"served behind `{adapter}({name})`", line)
    for (name, attribute), (adapter, line) in _adapted_attributes(model).items():
        link(name, attribute, f"served behind `{adapter}({name}.{attribute})`", line)
    for node in ast.walk(model.tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner = node.func.value
        if node.func.attr not in INCLUDES or not isinstance(owner, ast.Name) or owner.id not in served:
            continue
        argument = node.args[0]
        shown = f"included by `{owner.id}.{node.func.attr}({ast.unparse(argument)})`"
        if isinstance(argument, ast.Name):
            link(argument.id, "", shown, node.lineno)
        elif isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name):
            link(argument.value.id, argument.attr, shown, node.lineno)
    for name, how, line, _ in [*_added_resources(model, served), *_url_rules(model, served)]:
        link(name, "", how, line)
    return links + factory_served_elsewhere(model, declared)


# --- Django: settings -> ROOT_URLCONF -> urlpatterns -> function views -----------------------------
DJANGO_APPLICATIONS = ("django.core.wsgi.get_wsgi_application", "django.core.asgi.get_asgi_application")
DJANGO_ROUTES = ("django.urls.path", "django.urls.re_path", "django.conf.urls.url")
DJANGO_INCLUDE = ("django.urls.include", "django.conf.urls.include")
DRF_ROUTERS = ("rest_framework.routers.DefaultRouter", "rest_framework.routers.SimpleRouter")


def _module_string(model: PythonModule, name: str) -> tuple[str, int] | None:
    """A module-level ``NAME = "literal"`` (``ROOT_URLCONF = "proj.urls"``) and its line."""
    for node in model.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value, node.lineno
    return None


def django_settings(model: PythonModule) -> str:
    """The settings module a Django WSGI/ASGI module serves (``os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE", "proj.settings")`` beside ``application = get_wsgi_application()``),
    '' when it is not one."""
    if not any(
        isinstance(node, ast.Call) and model.qualify(node.func) in DJANGO_APPLICATIONS for node in ast.walk(model.tree)
    ):
        return ""
    return django_settings_default(model)


def django_settings_default(model: PythonModule) -> str:
    """The module's ``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")``, or ''
    (a WSGI/ASGI module's, or ``manage.py``'s)."""
    for node in ast.walk(model.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault":
            arguments = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            if len(arguments) == 2 and arguments[0] == "DJANGO_SETTINGS_MODULE" and isinstance(arguments[1], str):
                return arguments[1]
    return ""


def root_urlconf(model: PythonModule) -> tuple[str, int] | None:
    """A Django settings module's ``ROOT_URLCONF``."""
    return _module_string(model, "ROOT_URLCONF")


@dataclass(frozen=True)
class DjangoRoute:
    """An entry of ``urlpatterns``: a function view (``module`` with ``level`` dots, ``name`` in it)
    or an ``include("app.urls")`` (``name`` is '')."""

    module: str
    level: int
    name: str
    line: int


def _view(imported: dict[str, tuple[str, int, str]], view: ast.expr, line: int) -> DjangoRoute | None:
    """The route of a view named in a URLconf: ``report``, ``views.report``, ``Detail`` (of
    ``Detail.as_view()``, a class-based view: its methods are the handlers), imported here."""
    if isinstance(view, ast.Name) and view.id in imported:
        module, level, name = imported[view.id]
        return DjangoRoute(module, level, name, line) if name else None
    if isinstance(view, ast.Attribute) and isinstance(view.value, ast.Name) and view.value.id in imported:
        module, level, name = imported[view.value.id]  # `from app import views` then views.index
        return DjangoRoute(".".join(part for part in (module, name) if part), level, view.attr, line)
    return None


def _router_views(model: PythonModule, imported: dict[str, tuple[str, int, str]]) -> list[DjangoRoute]:
    """The ViewSets registered on a module-level DRF router whose ``urls`` the URLconf uses
    (``router.register("items", ItemViewSet)`` and ``include(router.urls)``)."""
    routers = {
        target.id
        for node in model.tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        if model.qualify(node.value.func) in DRF_ROUTERS
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    used = {name for name in routers if re.search(rf"\b{re.escape(name)}\.urls\b", model.source)}
    found = []
    for node in ast.walk(model.tree) if used else ():
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id in used and len(node.args) >= 2:
            route = _view(imported, node.args[1], node.lineno)
            if route is not None:
                found.append(route)
    return found


def django_routes(model: PythonModule) -> list[DjangoRoute]:
    """The views and included URLconfs of a Django URLconf: function views, class-based views
    (``Detail.as_view()``: the class, whose methods are the handlers) and the ViewSets of a DRF
    router it includes."""
    imported = _imported_from(model)
    found: list[DjangoRoute] = _router_views(model, imported) if "register" in model.source else []
    for node in ast.walk(model.tree):
        if not (isinstance(node, ast.Call) and model.qualify(node.func) in DJANGO_ROUTES and len(node.args) >= 2):
            continue
        view = node.args[1]
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
            route = _view(imported, view.func.value, node.lineno)
            if route is not None:
                found.append(route)
        elif isinstance(view, ast.Call) and model.qualify(view.func) in DJANGO_INCLUDE and view.args:
            target = view.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                found.append(DjangoRoute(target.value, 0, "", node.lineno))
        else:
            route = _view(imported, view, node.lineno)
            if route is not None:
                found.append(route)
    return found


# --- application factories: `app = create_app()`, the app the factory builds and returns ----------
# A served name bound to a call of a project function (``app = create_app()``) is the app that
# function returns. It is declared in the factory's module as ``create_app()`` (the parentheses
# mark "what it returns", so the factory itself is not a handler); the factory's nested routes
# are handlers named ``create_app.hello``, and the resources and blueprints it adds are served.
FACTORY_MARK = "()"
_ADAPTER_PACKAGES = frozenset(name.split(".")[0] for name in ADAPTERS)  # what a module that adapts imports
_CONSTRUCTORS = frozenset(
    {
        *ADAPTERS,
        *RESOURCE_APIS,
        *(name for each in FRAMEWORKS for name in each.classes),
        "django.core.wsgi.get_wsgi_application",
        "django.core.asgi.get_asgi_application",
    }
)


def _factory_calls(model: PythonModule, served: dict[str, str]) -> dict[str, tuple[ast.expr, int, str]]:
    """Served module-level names bound to a call without a framework constructor: name -> (the
    called function's expression, line, why the name is served)."""
    found: dict[str, tuple[ast.expr, int, str]] = {}
    for node in model.tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        func = node.value.func
        if not isinstance(func, ast.Name | ast.Attribute) or model.qualify(func) in _CONSTRUCTORS:
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in served:
                found[target.id] = (func, node.lineno, served[target.id])
    return found


def _factories(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """The module-level functions of this module whose returned app is served: name -> why
    (declared as ``create_app()``, or called here for a served name: ``app = create_app()``)."""
    functions = {node.name for node in model.tree.body if isinstance(node, FunctionNode)}
    found = {
        name[: -len(FACTORY_MARK)]: why
        for name, why in declared.items()
        if name.endswith(FACTORY_MARK) and name[: -len(FACTORY_MARK)] in functions
    }
    if not functions or not (declared or model.packages & _ADAPTER_PACKAGES):
        return found  # (the common case: nothing declared here, no adapter imported)
    for name, (func, line, why) in _factory_calls(model, _served(model, declared)).items():
        if isinstance(func, ast.Name) and func.id in functions:
            found.setdefault(func.id, f"the app `{func.id}()` returns, served as `{name}` (line {line}) {why}")
    return found


def builds_served_app(model: PythonModule, declared: dict[str, str]) -> bool:
    """Whether an application factory of this module builds an app served on Lambda."""
    return bool(_factories(model, declared))


@dataclass(frozen=True)
class _FactoryApp:
    """What a factory builds: its served local objects (name -> framework), the ``Api`` objects
    over them, and the names it imports inside its body (as ``_imported_from`` gives them)."""

    function: FunctionNode
    objects: dict[str, Framework]
    apis: set[str]
    imported: dict[str, tuple[str, int, str]]


def _factory_app(model: PythonModule, function: FunctionNode) -> _FactoryApp:
    returned = {
        node.value.id
        for node in ast.walk(function)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Name)
    }
    objects: dict[str, Framework] = {}
    apis: set[str] = set()
    imported: dict[str, tuple[str, int, str]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    imported[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        qualified = model.qualify(node.value.func)
        names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        framework = next((each for each in FRAMEWORKS if qualified in each.classes), None)
        if framework is not None:
            objects.update(dict.fromkeys(names, framework))
        elif qualified in RESOURCE_APIS and node.value.args and _names_one_of(node.value.args[0], returned):
            apis.update(names)
    served = returned | {  # the returned app, and the blueprints or routers made here that it includes
        node.args[0].id
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in INCLUDES
        if _names_one_of(node.func.value, returned) and node.args and isinstance(node.args[0], ast.Name)
    }
    return _FactoryApp(function, {name: objects[name] for name in served if name in objects}, apis, imported)


def _names_one_of(node: ast.expr, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _factory_additions(app: _FactoryApp) -> list[tuple[str, str, int]]:
    """(name, how, line) of each resource (``api.add_resource(R, ...)``) and blueprint or router
    (``app.register_blueprint(bp)``) the factory adds to its app."""
    added = []
    for node in ast.walk(app.function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner, first = node.func.value, node.args[0]
        if not (isinstance(owner, ast.Name) and isinstance(first, ast.Name)):
            continue
        if node.func.attr == "add_resource" and owner.id in app.apis:
            added.append((first.id, f"added by `{owner.id}.add_resource({first.id}, ...)`", node.lineno))
        elif node.func.attr in INCLUDES and owner.id in app.objects:
            added.append((first.id, f"included by `{owner.id}.{node.func.attr}({first.id})`", node.lineno))
    return added


def factory_routes(model: PythonModule, declared: dict[str, str]) -> dict[str, str]:
    """The handlers of the apps this module's factories build: their nested routes
    (``create_app.hello``), and the resources and blueprints of this module they add."""
    found: dict[str, str] = {}
    classes_and_names = {node.name for node in model.tree.body if isinstance(node, ast.ClassDef)} | _framework_objects(
        model
    ).keys()
    factory_bound = _factory_calls(model, dict.fromkeys(classes_and_names, ""))  # no factory chains: no cycle
    for factory, why in _factories(model, declared).items():
        function = next(node for node in model.tree.body if isinstance(node, FunctionNode) and node.name == factory)
        app = _factory_app(model, function)
        for node in [each for each in function.body if isinstance(each, FunctionNode)]:
            for decorator in node.decorator_list:
                route = _route_decorator(decorator, app.objects)
                if route is not None:
                    name, attribute, framework = route
                    what = f"a {framework.name} `{_shown(decorator, name, attribute)}` route, line {decorator.lineno}"
                    found.setdefault(f"{factory}.{node.name}", f"{what}, {why}")
        local = {
            name: f"{how}, line {line}, {why}"
            for name, how, line in _factory_additions(app)
            if name in classes_and_names and name not in app.imported and name not in factory_bound
        }
        for name, reason in route_handlers(model, local).items() if local else ():
            found.setdefault(name, reason)
    return found


def factory_served_elsewhere(model: PythonModule, declared: dict[str, str]) -> list[ServedImport]:
    """The apps and objects of application factories served here that other modules define: the
    factory of ``app = create_app()`` (declared there as ``create_app()``), and the resources and
    blueprints a factory of this module imports and adds to its app."""
    links: list[ServedImport] = []
    imported = _imported_from(model)
    for name, (func, line, _) in _factory_calls(model, _served(model, declared)).items():
        if isinstance(func, ast.Name) and func.id in imported:
            module, level, original = imported[func.id]
            if original:
                shown = f"the app `{func.id}()` returns, served as `{name}`"
                links.append(ServedImport(module, level, original + FACTORY_MARK, shown, line))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported:
            module, level, original = imported[func.value.id]  # `import pkg` then `pkg.create_app()`
            module = ".".join(part for part in (module, original) if part)
            shown = f"the app `{ast.unparse(func)}()` returns, served as `{name}`"
            links.append(ServedImport(module, level, func.attr + FACTORY_MARK, shown, line))
    for factory in _factories(model, declared):
        function = next(node for node in model.tree.body if isinstance(node, FunctionNode) and node.name == factory)
        app = _factory_app(model, function)
        within = {**imported, **app.imported}
        for name, how, line in _factory_additions(app):
            if name in within and within[name][2]:
                module, level, original = within[name]
                links.append(ServedImport(module, level, original, f"{how} in `{factory}()`", line))
    return links
