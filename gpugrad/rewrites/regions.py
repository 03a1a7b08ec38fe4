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
    ``paths[node]`` is a node's lazy branch path (runtime/lazy.py)."""

    def __init__(self, fgraph, policy):
        order = self.order = fgraph.toposort()
        self.policy, self.paths = policy, schedule(fgraph)[1] or dict.fromkeys(order, ())
        self.group, self.parent, self.after, self.labels = {}, {}, {}, {}
        blocked = {}
        for node in order:
            behind = set().union(*(blocked.get(v, ()) for v in node.inputs))
            if policy.member(node):
                self._join(node, behind)
            mine = self.find(self.group[node]) if node in self.group else None
            for v in node.inputs:
                if v.owner in self.group and self.find(self.group[v.owner]) != mine:
                    behind.add(self.find(self.group[v.owner]))
            if mine is not None:
                self.after.setdefault(mine, set()).update(behind)
            for out in node.outputs:
                blocked[out] = behind

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

    def _join(self, node, behind):
        path = self.paths[node]
        producers = list(dict.fromkeys(self.find(self.group[v.owner]) for v in node.inputs
                                       if v.owner in self.group and self.paths[v.owner] == path))
        upstream = self._reached(behind).union(*(self._reached(self.after.get(g, ())) for g in producers))
        chosen = self.policy.choose(node, [g for g in producers if g not in upstream], self)
        gid = chosen[0] if chosen else len(self.parent)
        self.parent[gid] = gid
        for g in chosen[1:]:
            self._absorb(gid, g)
        self.group[node] = gid

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
        self.after.setdefault(a, set()).update(self.after.pop(b, ()))

    def members(self, g):
        g = self.find(g)
        return [n for n in self.group if self.find(self.group[n]) == g]

    def groups(self):
        """The regions, each a list of nodes in topological order."""
        found = {}
        for node in self.order:
            if node in self.group:
                found.setdefault(self.find(self.group[node]), []).append(node)
        return list(found.values())
