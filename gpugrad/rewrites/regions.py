"""Growing regions of nodes to fuse, in topological order, without making cycles.

A node joins (and so merges) the regions of its producers, except those that something
else it reads depends on (an outside node or another region: the fused node would then
depend on itself). ``blocked[v]`` holds the regions ``v`` depends on other than through
its own region, ``after[r]`` those region ``r`` does, so a merge carries what each part
depended on. A ``policy`` says which nodes may be members (``member(node)``) and which of
the producers' regions the cycle rule allows a node joins (``choose(node, regions)``: the
region ids to merge, the first one kept; ``labels`` holds what it records per region).
Nodes of different lazy branches (``ifelse``, runtime/lazy.py) never share a region: the
fused node would run whenever either branch does, the branch not taken included.
"""
from ..runtime.lazy import schedule


class Regions:
    """The regions of ``fgraph``'s nodes under ``policy``; ``groups()`` lists them;
    ``paths[node]`` is a node's lazy branch path (runtime/lazy.py).

    Dependencies are kept direct: ``after[r]`` holds the regions r's members read from, or
    read from through outside nodes only; ``blocked[v]`` (an outside node's output) the
    regions it depends on through outside nodes. Reaching further walks ``after``, so each
    edge is stored once and a walk costs the regions it visits (sets closed over every
    region upstream made compiling a 1,100-op chain cubic: minutes)."""

    def __init__(self, fgraph, policy):
        order = self.order = fgraph.toposort()
        self.policy, self.paths = policy, schedule(fgraph)[1] or dict.fromkeys(order, ())
        self.group, self.parent, self.after, self.labels, self._members = {}, {}, {}, {}, {}
        blocked = {}
        for node in order:
            outside = set().union(*(blocked[v] for v in node.inputs if v in blocked))
            if policy.member(node):
                self._join(node, outside)
            mine = self.find(self.group[node]) if node in self.group else None
            direct = outside | {self.find(self.group[v.owner]) for v in node.inputs if v.owner in self.group}
            direct.discard(mine)
            if mine is not None:
                self.after[mine].update(direct)
            else:
                for out in node.outputs:
                    blocked[out] = direct

    def find(self, g):
        while self.parent[g] != g:
            g = self.parent[g]
        return g

    def _reached(self, starts):
        """The regions ``starts`` are or depend on, through outside nodes and other regions."""
        seen, todo = set(), [self.find(g) for g in starts]
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(self.find(h) for h in self.after.get(g, ()))
        return seen

    def _join(self, node, outside):
        """``node`` joins the producers' regions the policy chooses among those nothing else
        it reads depends on (else the fused node would depend on itself)."""
        path = self.paths[node]
        owners = {self.find(self.group[v.owner]): self.paths[v.owner] == path for v in node.inputs
                  if v.owner in self.group}
        producers = [g for g, same_path in owners.items() if same_path]
        others = [g for g, same_path in owners.items() if not same_path]
        if producers:
            upstream = self._reached(outside.union(others, *(self.after.get(g, ()) for g in producers)))
            producers = [g for g in producers if g not in upstream]
        chosen = self.policy.choose(node, producers, self)
        gid = chosen[0] if chosen else len(self.parent)
        if not chosen:
            self.parent[gid], self.after[gid], self._members[gid] = gid, set(), []
        for g in chosen[1:]:
            self._absorb(gid, g)
        self.group[node] = gid
        self._members[gid].append(node)

    def merge(self, a, b):
        """Merge regions ``a`` and ``b`` (kept as ``a``) unless one depends on the other,
        directly or through other regions and outside nodes; whether they were merged."""
        a, b = self.find(a), self.find(b)
        if a == b or a in self._reached(self.after.get(b, ())) or b in self._reached(self.after.get(a, ())):
            return False
        self._absorb(a, b)
        return True

    def _absorb(self, a, b):
        """Region ``b`` becomes part of ``a``, which then depends on all ``b`` depended on."""
        self.parent[b] = a
        self.after[a].update(self.after.pop(b))
        self.after[a].discard(b)
        self._members[a] += self._members.pop(b)

    def members(self, g):
        return list(self._members[self.find(g)])

    def groups(self):
        """The regions, each a list of nodes in topological order."""
        found = {}
        for node in self.order:
            if node in self.group:
                found.setdefault(self.find(self.group[node]), []).append(node)
        return list(found.values())
