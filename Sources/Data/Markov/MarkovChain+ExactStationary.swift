/// The exact stationary distribution of a small chain over contexts, by direct elimination.
///
/// Power iteration converges at the rate of the spectral gap, which nearly decomposable chains
/// (rows from Dirichlet(0.001), say) make arbitrarily small. Up to `MarkovChain.exactSolveLimit`
/// contexts the distribution is computed directly instead, as the limit of the lazy chain started
/// from the uniform distribution u (the same π power iteration approaches):
/// 1. the context graph (c → c′ when P > 0) is split into communicating classes (Tarjan); the
///    closed ones are the recurrent classes, the others transient;
/// 2. in each closed class r, π_r by the GTH algorithm (Grassmann, Taksar & Heyman, "Regenerative
///    analysis and steady state distributions for Markov chains", Oper. Res. 1985), which never
///    subtracts and so stays accurate for nearly decomposable chains;
/// 3. the mass each closed class receives from the start u — the probability of ending in it —
///    from a "restart" chain: the transient contexts plus one node per closed class, each node
///    jumping back to u. A restart cycle visits node r once exactly when the run from u ends in
///    class r, so mass_r ∝ π_restart(node r); GTH on the restart chain gives it without the
///    cancellation in 1 − P(c → c) that a linear solve of (I − Q) suffers;
/// 4. π = Σ_r mass_r·π_r. Cost O(C³) for C contexts.
///
/// Returns nil if an elimination pivot underflows to 0 or a value overflows (possible only with
/// probabilities near the limits of Double); the caller then falls back to power iteration.
enum ExactStationary {
  static func solve(transitions: [Double], vocabularySize V: Int, contextCount C: Int) -> [Double]? {
    let classes = communicatingClasses(transitions: transitions, vocabularySize: V, contextCount: C)
    var classOf = [Int](repeating: 0, count: C)
    for (r, members) in classes.enumerated() { for c in members { classOf[c] = r } }
    var isClosed = [Bool](repeating: true, count: classes.count)
    for c in 0..<C {
      for x in 0..<V where transitions[c * V + x] > 0 && classOf[(c * V + x) % C] != classOf[c] {
        isClosed[classOf[c]] = false
      }
    }
    let closed = classes.indices.filter { isClosed[$0] }
    guard let mass = classMasses(transitions, V, C, classes, classOf, closed) else { return nil }
    var pi = [Double](repeating: 0, count: C)
    for (k, r) in closed.enumerated() {
      let members = classes[r]
      var position = [Int: Int](minimumCapacity: members.count)
      for (i, c) in members.enumerated() { position[c] = i }
      var a = [Double](repeating: 0, count: members.count * members.count)
      for (i, c) in members.enumerated() {
        for x in 0..<V {
          if let j = position[(c * V + x) % C] { a[i * members.count + j] += transitions[c * V + x] }
        }
      }
      guard let local = gth(&a, size: members.count) else { return nil }
      for (i, c) in members.enumerated() { pi[c] = mass[k] * local[i] }
    }
    let total = pi.reduce(0, +)
    guard total > 0 && total.isFinite else { return nil }
    return pi.map { $0 / total }
  }

  /// The probability that a run started from the uniform distribution ends in each closed class
  /// (in the order of `closed`), from the restart chain.
  private static func classMasses(
    _ transitions: [Double], _ V: Int, _ C: Int, _ classes: [[Int]], _ classOf: [Int], _ closed: [Int]
  ) -> [Double]? {
    var node = [Int](repeating: -1, count: classes.count)  // class → restart-chain node, for closed
    let transient = (0..<C).filter { c in !closed.contains(classOf[c]) }
    if transient.isEmpty { return closed.map { Double(classes[$0].count) / Double(C) } }
    var position = [Int: Int](minimumCapacity: transient.count)
    for (i, c) in transient.enumerated() { position[c] = i }
    for (k, r) in closed.enumerated() { node[r] = transient.count + k }
    let n = transient.count + closed.count
    var a = [Double](repeating: 0, count: n * n)
    for (i, c) in transient.enumerated() {
      for x in 0..<V {
        let next = (c * V + x) % C
        let j = position[next] ?? node[classOf[next]]
        a[i * n + j] += transitions[c * V + x]
      }
    }
    for k in closed.indices {
      let row = (transient.count + k) * n
      for j in transient.indices { a[row + j] = 1 / Double(C) }
      for (k2, r2) in closed.enumerated() { a[row + transient.count + k2] = Double(classes[r2].count) / Double(C) }
    }
    guard let restart = gth(&a, size: n) else { return nil }
    let nodes = Array(restart[transient.count...])
    let total = nodes.reduce(0, +)
    guard total > 0 && total.isFinite else { return nil }
    return nodes.map { $0 / total }
  }

  /// Strongly connected components of the context graph (iterative Tarjan).
  static func communicatingClasses(transitions: [Double], vocabularySize V: Int, contextCount C: Int) -> [[Int]] {
    var index = [Int](repeating: -1, count: C)
    var low = [Int](repeating: 0, count: C)
    var onStack = [Bool](repeating: false, count: C)
    var stack: [Int] = []
    var classes: [[Int]] = []
    var counter = 0
    for root in 0..<C where index[root] < 0 {
      var frames: [(node: Int, nextSymbol: Int)] = [(root, 0)]
      index[root] = counter; low[root] = counter; counter += 1
      stack.append(root); onStack[root] = true
      while let frame = frames.last {
        let c = frame.node
        if frame.nextSymbol < V {
          frames[frames.count - 1].nextSymbol += 1
          let x = frame.nextSymbol
          guard transitions[c * V + x] > 0 else { continue }
          let next = (c * V + x) % C
          if index[next] < 0 {
            index[next] = counter; low[next] = counter; counter += 1
            stack.append(next); onStack[next] = true
            frames.append((next, 0))
          } else if onStack[next] {
            low[c] = min(low[c], index[next])
          }
          continue
        }
        frames.removeLast()
        if let parent = frames.last { low[parent.node] = min(low[parent.node], low[c]) }
        if low[c] == index[c] {
          var members: [Int] = []
          while let top = stack.popLast() {
            onStack[top] = false
            members.append(top)
            if top == c { break }
          }
          classes.append(members.sorted())
        }
      }
    }
    return classes
  }

  /// The stationary distribution of the irreducible chain with dense, row-major transition matrix
  /// `a` (size × size; overwritten), by GTH elimination. Diagonal entries are never read.
  static func gth(_ a: inout [Double], size n: Int) -> [Double]? {
    if n == 1 { return [1] }
    let eliminated = a.withUnsafeMutableBufferPointer { a -> Bool in
      for k in stride(from: n - 1, through: 1, by: -1) {
        var s = 0.0
        for j in 0..<k { s += a[k * n + j] }  // > 0 in exact arithmetic: the chain is irreducible
        guard s > 0 else { return false }
        for i in 0..<k { a[i * n + k] /= s }
        for i in 0..<k {
          let f = a[i * n + k]
          if f == 0 { continue }
          for j in 0..<k { a[i * n + j] += f * a[k * n + j] }
        }
      }
      return true
    }
    guard eliminated else { return nil }
    var x = [Double](repeating: 0, count: n)
    x[0] = 1
    for j in 1..<n {
      var sum = 0.0
      for i in 0..<j { sum += x[i] * a[i * n + j] }
      x[j] = sum
    }
    let total = x.reduce(0, +)
    guard total > 0 && total.isFinite else { return nil }
    return x.map { $0 / total }
  }
}
