/// Deterministic families: complete, star, path, ring, grid and torus.
extension Graph {
  /// Kₙ: every pair of distinct nodes adjacent; n(n−1)/2 edges.
  public static func complete(n: Int) throws(GraphError) -> Graph {
    try require(n >= 1, "complete", "n", n, expected: "at least 1")
    var edges: [(Int, Int)] = []
    edges.reserveCapacity(n * (n - 1) / 2)
    for i in 0..<n {
      for j in (i + 1)..<max(n, i + 1) { edges.append((i, j)) }
    }
    return try Graph(nodeCount: n, edges: edges)
  }

  /// The star: node 0 is the hub, joined to each of the n − 1 leaves.
  public static func star(n: Int) throws(GraphError) -> Graph {
    try require(n >= 1, "star", "n", n, expected: "at least 1")
    return try Graph(nodeCount: n, edges: (1..<max(n, 1)).map { (0, $0) })
  }

  /// The path 0 — 1 — … — (n−1); n − 1 edges.
  public static func path(n: Int) throws(GraphError) -> Graph {
    try require(n >= 1, "path", "n", n, expected: "at least 1")
    return try Graph(nodeCount: n, edges: (1..<max(n, 1)).map { ($0 - 1, $0) })
  }

  /// The cycle with edges {i, (i+1) mod n}: n edges for n ≥ 3. For n = 2 the two "edges" coincide
  /// and the result is a single edge; n = 1 has no edge.
  public static func ring(n: Int) throws(GraphError) -> Graph {
    try require(n >= 1, "ring", "n", n, expected: "at least 1")
    return try torus(rows: 1, columns: n)
  }

  /// The rows × columns grid: node r·columns + c is joined to its right and lower neighbours;
  /// rows·(columns−1) + columns·(rows−1) edges.
  public static func grid(rows: Int, columns: Int) throws(GraphError) -> Graph {
    try require(rows >= 1, "grid", "rows", rows, expected: "at least 1")
    try require(columns >= 1, "grid", "columns", columns, expected: "at least 1")
    var edges: [(Int, Int)] = []
    for r in 0..<rows {
      for c in 0..<columns {
        let node = r * columns + c
        if c + 1 < columns { edges.append((node, node + 1)) }
        if r + 1 < rows { edges.append((node, node + columns)) }
      }
    }
    return try Graph(nodeCount: rows * columns, edges: edges)
  }

  /// The p × q torus (`rows` = p, `columns` = q): node r·q + c is joined to ((r+1) mod p, c) and
  /// to (r, (c+1) mod q). For p, q ≥ 3 it is 4-regular with 2pq edges.
  ///
  /// Small sides degenerate without duplicates or self-loops: a side of length 2 contributes one
  /// edge per pair instead of two, a side of length 1 none. So `torus(rows: 1, columns: n)` is the
  /// ring and `torus(rows: 2, columns: 2)` is the 4-cycle.
  public static func torus(rows p: Int, columns q: Int) throws(GraphError) -> Graph {
    try require(p >= 1, "torus", "rows", p, expected: "at least 1")
    try require(q >= 1, "torus", "columns", q, expected: "at least 1")
    var edges: [(Int, Int)] = []
    edges.reserveCapacity(2 * p * q)
    for r in 0..<p {
      for c in 0..<q {
        let node = r * q + c
        // A wrap-around step of a side of length 2 repeats the forward step of the other node.
        if p >= 3 || (p == 2 && r == 0) { edges.append((node, ((r + 1) % p) * q + c)) }
        if q >= 3 || (q == 2 && c == 0) { edges.append((node, r * q + (c + 1) % q)) }
      }
    }
    return try Graph(nodeCount: p * q, edges: edges)
  }
}
