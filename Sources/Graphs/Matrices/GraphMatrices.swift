extension Graph {
  /// The adjacency matrix A: A[i, j] = 1 when {i, j} is an edge, 0 otherwise.
  public func adjacencyMatrix() -> DenseMatrix {
    var matrix = DenseMatrix(rows: nodeCount, columns: nodeCount)
    for i in 0..<nodeCount {
      for j in neighbours(of: i) { matrix[i, j] = 1 }
    }
    return matrix
  }

  /// The degree matrix D = diag(d₀, …, dₙ₋₁).
  public func degreeMatrix() -> DenseMatrix {
    var matrix = DenseMatrix(rows: nodeCount, columns: nodeCount)
    for i in 0..<nodeCount { matrix[i, i] = Double(degree(of: i)) }
    return matrix
  }

  /// The combinatorial Laplacian L = D − A: symmetric, positive semidefinite, rows summing to 0;
  /// the multiplicity of its eigenvalue 0 is the number of connected components.
  public func laplacianMatrix() -> DenseMatrix {
    var matrix = DenseMatrix(rows: nodeCount, columns: nodeCount)
    for i in 0..<nodeCount {
      matrix[i, i] = Double(degree(of: i))
      for j in neighbours(of: i) { matrix[i, j] = -1 }
    }
    return matrix
  }
}
