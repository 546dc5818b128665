/// A dense matrix of `Double`s in row-major order: entry (i, j) is `elements[i * columns + j]`.
///
/// Meant for the n×n matrices of graphs of simulator size (adjacency, Laplacian, mixing matrices)
/// and for spectra; gossip itself uses the sparse `MixingWeights`.
public struct DenseMatrix: Hashable, Sendable, CustomStringConvertible {
  public let rows: Int
  public let columns: Int
  /// Row-major entries, `rows * columns` of them.
  public private(set) var elements: [Double]

  /// A rows × columns matrix filled with `value`. Negative sizes are a programming error.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    elements = [Double](repeating: value, count: rows * columns)
  }

  /// A rows × columns matrix with the given row-major entries.
  ///
  /// - Throws: `MatrixError.shapeMismatch` when the count is not rows · columns.
  public init(rows: Int, columns: Int, elements: [Double]) throws(MatrixError) {
    guard rows >= 0, columns >= 0, elements.count == rows * columns else {
      throw .shapeMismatch(rows: rows, columns: columns, elementCount: elements.count)
    }
    self.rows = rows
    self.columns = columns
    self.elements = elements
  }

  /// The n × n identity.
  public static func identity(_ n: Int) -> DenseMatrix {
    var matrix = DenseMatrix(rows: n, columns: n)
    for i in 0..<n { matrix[i, i] = 1 }
    return matrix
  }

  public var isSquare: Bool { rows == columns }

  /// Entry (i, j); both indices must be in range.
  public subscript(i: Int, j: Int) -> Double {
    get { elements[i * columns + j] }
    set { elements[i * columns + j] = newValue }
  }

  /// Row i as an array.
  public func row(_ i: Int) -> ArraySlice<Double> { elements[(i * columns)..<((i + 1) * columns)] }

  public func transposed() -> DenseMatrix {
    var result = DenseMatrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { result[j, i] = self[i, j] }
    }
    return result
  }

  /// The sum of each row.
  public var rowSums: [Double] { (0..<rows).map { row($0).reduce(0, +) } }

  /// The sum of each column.
  public var columnSums: [Double] {
    var sums = [Double](repeating: 0, count: columns)
    for i in 0..<rows {
      for j in 0..<columns { sums[j] += self[i, j] }
    }
    return sums
  }

  public var description: String {
    guard rows <= 12 && columns <= 12 else { return "DenseMatrix(\(rows)×\(columns))" }
    return (0..<rows).map { i in row(i).map { "\($0)" }.joined(separator: " ") }.joined(separator: "\n")
  }
}
