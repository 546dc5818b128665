/// The first entry (or row, or column) at which a matrix fails a property check.
public enum MatrixViolation: Equatable, Sendable, CustomStringConvertible {
  /// The property needs a square matrix.
  case notSquare(rows: Int, columns: Int)
  /// Entry (row, column) is NaN or infinite.
  case nonFinite(row: Int, column: Int, value: Double)
  /// a[row, column] and a[column, row] differ by more than the tolerance.
  case asymmetric(row: Int, column: Int, value: Double, mirrored: Double)
  /// Entry (row, column) is negative beyond the tolerance.
  case negativeEntry(row: Int, column: Int, value: Double)
  /// The row does not sum to 1 within the tolerance.
  case rowSum(row: Int, sum: Double)
  /// The column does not sum to 1 within the tolerance.
  case columnSum(column: Int, sum: Double)

  public var description: String {
    switch self {
    case .notSquare(let rows, let columns):
      return "matrix is \(rows)×\(columns), expected square"
    case .nonFinite(let row, let column, let value):
      return "entry (\(row), \(column)) is \(value), expected a finite number"
    case .asymmetric(let row, let column, let value, let mirrored):
      return "entry (\(row), \(column)) = \(value) but (\(column), \(row)) = \(mirrored)"
    case .negativeEntry(let row, let column, let value):
      return "entry (\(row), \(column)) = \(value) is negative"
    case .rowSum(let row, let sum):
      return "row \(row) sums to \(sum), expected 1"
    case .columnSum(let column, let sum):
      return "column \(column) sums to \(sum), expected 1"
    }
  }
}

extension DenseMatrix {
  /// The first entry, in row-major order, that is not finite or differs from its mirror by more
  /// than `tolerance` (absolute); nil when the matrix is symmetric.
  public func symmetryViolation(tolerance: Double = 1e-12) -> MatrixViolation? {
    guard isSquare else { return .notSquare(rows: rows, columns: columns) }
    for i in 0..<rows {
      for j in 0..<columns {
        let value = self[i, j]
        guard value.isFinite else { return .nonFinite(row: i, column: j, value: value) }
        if j > i, !(abs(value - self[j, i]) <= tolerance) {
          return .asymmetric(row: i, column: j, value: value, mirrored: self[j, i])
        }
      }
    }
    return nil
  }

  /// The first violation of row stochasticity (square, finite, entries ≥ −tolerance, every row
  /// summing to 1 within `tolerance`) and, when `doubly`, of column sums too; nil when none.
  public func stochasticityViolation(doubly: Bool, tolerance: Double = 1e-12) -> MatrixViolation? {
    guard isSquare else { return .notSquare(rows: rows, columns: columns) }
    for i in 0..<rows {
      for j in 0..<columns {
        let value = self[i, j]
        guard value.isFinite else { return .nonFinite(row: i, column: j, value: value) }
        if value < -tolerance { return .negativeEntry(row: i, column: j, value: value) }
      }
    }
    for (i, sum) in rowSums.enumerated() where !(abs(sum - 1) <= tolerance) {
      return .rowSum(row: i, sum: sum)
    }
    if doubly {
      for (j, sum) in columnSums.enumerated() where !(abs(sum - 1) <= tolerance) {
        return .columnSum(column: j, sum: sum)
      }
    }
    return nil
  }

}

/// A mixing matrix, dense or sparse, that can name its first violation of symmetry and of
/// (row or doubly) stochasticity; the yes/no checks follow from those.
public protocol StochasticMatrixChecks {
  func symmetryViolation(tolerance: Double) -> MatrixViolation?
  func stochasticityViolation(doubly: Bool, tolerance: Double) -> MatrixViolation?
}

extension StochasticMatrixChecks {
  /// Whether the matrix is symmetric within `tolerance` (see `symmetryViolation`).
  public func isSymmetric(tolerance: Double = 1e-12) -> Bool {
    symmetryViolation(tolerance: tolerance) == nil
  }

  /// Whether the matrix is non-negative with rows summing to 1 (within `tolerance`).
  public func isRowStochastic(tolerance: Double = 1e-12) -> Bool {
    stochasticityViolation(doubly: false, tolerance: tolerance) == nil
  }

  /// Whether the matrix is non-negative with rows and columns summing to 1 (within `tolerance`).
  public func isDoublyStochastic(tolerance: Double = 1e-12) -> Bool {
    stochasticityViolation(doubly: true, tolerance: tolerance) == nil
  }
}

extension DenseMatrix: StochasticMatrixChecks {}
extension MixingWeights: StochasticMatrixChecks {}
