extension MixingWeights {
  /// The first stored weight (row-major) that is not finite or differs from its mirror W[j, i] by
  /// more than `tolerance`; nil when W is symmetric. O(edges · log degree).
  public func symmetryViolation(tolerance: Double = 1e-12) -> MatrixViolation? {
    for i in 0..<nodeCount {
      for entry in row(i) {
        guard entry.weight.isFinite else {
          return .nonFinite(row: i, column: entry.node, value: entry.weight)
        }
        let mirrored = weight(entry.node, i)
        if !(abs(entry.weight - mirrored) <= tolerance) {
          return .asymmetric(row: i, column: entry.node, value: entry.weight, mirrored: mirrored)
        }
      }
    }
    return nil
  }

  /// The first violation of (row, and when `doubly` also column) stochasticity; nil when none.
  /// Same contract as `DenseMatrix.stochasticityViolation`, in O(n + edges).
  public func stochasticityViolation(doubly: Bool, tolerance: Double = 1e-12) -> MatrixViolation? {
    var columnSums = [Double](repeating: 0, count: nodeCount)
    for i in 0..<nodeCount {
      for entry in row(i) {
        guard entry.weight.isFinite else {
          return .nonFinite(row: i, column: entry.node, value: entry.weight)
        }
        if entry.weight < -tolerance {
          return .negativeEntry(row: i, column: entry.node, value: entry.weight)
        }
        columnSums[entry.node] += entry.weight
      }
    }
    for i in 0..<nodeCount {
      let sum = row(i).reduce(0) { $0 + $1.weight }
      if !(abs(sum - 1) <= tolerance) { return .rowSum(row: i, sum: sum) }
    }
    if doubly {
      for (j, sum) in columnSums.enumerated() where !(abs(sum - 1) <= tolerance) {
        return .columnSum(column: j, sum: sum)
      }
    }
    return nil
  }

}
