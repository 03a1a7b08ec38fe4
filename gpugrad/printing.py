"""``pp`` (infix, as Theano prints gradients; Theano's ``printing.pprint`` too),
``debugprint`` (one node a line), ``pydotprint`` (a picture) and ``Print`` (an op that
prints a value when its node runs)."""
from .errors import GpugradError
from .graph.basic import Apply, Constant
from .graph.op import CudaFacet, Op
from .graph.traversal import toposort
from .runtime.facets import always
from .runtime.lazy import host_reader
from .types.variable import as_tensor_variable


PP_MAX_CHARS = 10_000


def pp(var):
    """Infix rendering: ``((fill((x ** 2), 1.0) * 2) * (x ** (2 - 1)))``. A subexpression longer
    than ``PP_MAX_CHARS`` keeps its two ends around `` ... `` (a deep graph, or one that reuses
    a value at every step, would otherwise print exponentially long)."""
    names = {}
    memo = {}
    for node in toposort([var]):
        for out in node.outputs:
            text = _render(node, out, memo, names)
            memo[out] = text if len(text) <= PP_MAX_CHARS else \
                f"{text[:PP_MAX_CHARS // 2]} ... {text[-PP_MAX_CHARS // 2:]}"
    return _leaf(var, names) if var not in memo else memo[var]


pprint = pp  # Theano's name


def _leaf(var, names):
    if isinstance(var, Constant) or var.name:
        return repr(var)
    return names.setdefault(var, f"<{var.type}>")


def _render(node, out, memo, names):
    args = [memo[v] if v in memo else _leaf(v, names) for v in node.inputs]
    printer = getattr(node.op, "pp", None)
    if printer is not None:
        printed = printer(node, args)  # one string, or one per output
        return printed[out.index] if isinstance(printed, list) else printed
    if len(node.outputs) > 1:
        return f"{node.op}({', '.join(args)})[{out.index}]"
    return f"{node.op}({', '.join(args)})"


DEBUGPRINT_MAX_INDENT = 40


def debugprint(obj, file=None, print_type=True):
    """One line per node, children indented under the node that reads them; a node
    seen before is shown by its id only. ``obj`` is a variable, a list of them, a compiled
    function or an Apply node. Returns the text (and prints it to ``file``). Past
    ``DEBUGPRINT_MAX_INDENT`` levels a line shows its depth instead of more indentation (the
    text of a chain stays linear in its length)."""
    outputs = _outputs_of(obj)
    placement = getattr(obj, "placement", {})
    ids, lines = {}, []
    for out in outputs:
        stack = [(out, 0)]
        while stack:
            var, depth = stack.pop()
            node = var.owner
            if node is None:
                lines.append(_indent(depth) + f"{var!r}" + (f" [{var.type}]" if print_type else ""))
                continue
            seen = node in ids
            ident = ids.setdefault(node, f"id {chr(65 + len(ids) % 26)}{len(ids) // 26 or ''}")
            where = f" on {placement[node]}" if node in placement else ""
            label = f"{node.op}" + (f".{var.index}" if len(node.outputs) > 1 else "")
            lines.append(_indent(depth) + f"{label} [{ident}]" + (f" {var.type}" if print_type else "")
                         + ("" if seen else where) + (" (seen above)" if seen else ""))
            if not seen:
                stack.extend((v, depth + 1) for v in reversed(node.inputs))
    text = "\n".join(lines)
    print(text, file=file)
    return text


def _indent(depth):
    if depth <= DEBUGPRINT_MAX_INDENT:
        return "   " * depth
    return "   " * DEBUGPRINT_MAX_INDENT + f"({depth}) "


DEVICE_COLOURS = {"cpu": "#cfe2f3", "cuda": "#b6d7a8", "cuda-sim": "#d9ead3"}


def pydotprint(obj, outfile=None, format="svg", return_image=False):
    """The graph of a variable or a compiled function drawn with graphviz: nodes are
    boxes coloured by the device that runs them (``f.placement``), values are ellipses.
    ``format="dot"`` gives the graphviz source and needs nothing installed; "svg" and
    "png" need graphviz's ``dot`` program. Writes ``outfile`` if given; returns the image
    (bytes, or text for dot and svg) when ``return_image`` is true or no file is given."""
    source = _dot_source(obj)
    if format == "dot":
        image = source
    else:
        image = _render_dot(source, format)
    if outfile is not None:
        with open(outfile, "wb") as handle:
            handle.write(image.encode() if isinstance(image, str) else image)
    return image if return_image or outfile is None else None


def _outputs_of(obj):
    """The variables a printer starts from: a function's outputs, a node's, or the variables."""
    maker = getattr(obj, "maker", None)
    if maker is not None:
        return maker.fgraph.outputs
    if isinstance(obj, Apply):
        return obj.outputs
    return obj if isinstance(obj, (list, tuple)) else [obj]


def _dot_source(obj):
    outputs = _outputs_of(obj)
    placement = getattr(obj, "placement", {})
    ids = {}

    def ident(thing):
        return ids.setdefault(thing, f"n{len(ids)}")

    lines = ["digraph gpugrad {", "  rankdir=TB;"]
    for node in toposort(list(outputs)):
        device = str(placement.get(node, "cpu")).split(":")[0]
        colour = DEVICE_COLOURS.get(device, "#eeeeee")
        label = f"{node.op}" + (f"\\n{placement[node]}" if node in placement else "")
        lines.append(f'  {ident(node)} [shape=box, style=filled, fillcolor="{colour}", label="{_escape(label)}"];')
        for var in node.inputs:
            if var.owner is None:
                lines.append(f'  {ident(var)} [shape=ellipse, label="{_escape(repr(var))}"];')
                lines.append(f"  {ident(var)} -> {ident(node)};")
            else:
                lines.append(f'  {ident(var.owner)} -> {ident(node)} [label="{_escape(str(var.type))}"];')
    for i, out in enumerate(outputs):
        lines.append(f'  out{i} [shape=ellipse, style=dashed, label="output {i}"];')
        source = ident(out.owner) if out.owner is not None else ident(out)
        lines.append(f"  {source} -> out{i};")
    lines.append("}")
    return "\n".join(lines)


def _escape(text):
    return text.replace('"', '\\"')


def _render_dot(source, format):
    import shutil
    import subprocess
    if format not in ("svg", "png"):
        raise ValueError(f"pydotprint: format must be 'svg', 'png' or 'dot', got {format!r}")
    dot = shutil.which("dot")
    if dot is None:
        raise GpugradError("pydotprint: graphviz's 'dot' program is not installed (apt-get install graphviz, "
                           "or conda install graphviz); format='dot' gives the graph source without it")
    done = subprocess.run([dot, f"-T{format}"], input=source.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise GpugradError(f"pydotprint: dot failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode() if format == "svg" else done.stdout


class Print(Op):
    """Theano's ``Print(message)(x)``: ``x`` itself, printing ``message attr = value`` for
    each of ``attrs`` (``"__str__"``, ``"shape"``: called if callable) whenever the node
    runs; on a device the value is read back to print it. ``global_fn(op, value)`` replaces
    the printing. Like any node, it runs only where its result is needed, and two equal
    ``Print`` nodes of one value print once."""
    __props__ = ("message", "attrs")
    side_effect = True  # never computed while compiling (constant folding)
    cuda = CudaFacet("its value, read back to print it", accepts=None, view=always)

    def __init__(self, message="", attrs=("__str__",), global_fn=None):
        self.message, self.attrs, self.global_fn = message, tuple(attrs), global_fn or _print_attrs

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        self.global_fn(self, inputs[0])
        return [inputs[0]]

    def make_thunk(self, node, storage_in, storage_out):
        read, show = host_reader(node.tag.get("device", "cpu")), self.global_fn
        (src,), (dst,) = storage_in, storage_out

        def thunk():
            show(self, read(src[0]))
            dst[0] = src[0]
        return thunk

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def pullback(self, inputs, outputs, output_grads):
        return [output_grads[0]]

    def pushforward(self, inputs, outputs, tangents):
        return [tangents[0]]

    def batch(self, inputs, batched):
        return [self(inputs[0])]


def _print_attrs(op, value):
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown)
