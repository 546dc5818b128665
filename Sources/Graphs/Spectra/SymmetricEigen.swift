import CBLAS

/// Eigenvalues (ascending) and orthonormal eigenvectors of a real symmetric matrix.
public struct SymmetricEigendecomposition: Sendable {
  /// λ₀ ≤ λ₁ ≤ … ≤ λₙ₋₁.
  public let values: [Double]
  /// Column k is the unit eigenvector of `values[k]`: vectors[i, k] is its i-th component.
  public let vectors: DenseMatrix
}

extension DenseMatrix {
  /// The largest order the 32-bit LAPACK interface is used for (n² must fit in an Int32).
  public static let maximumLAPACKOrder = 46_340

  /// The eigenvalues of this symmetric matrix, ascending (LAPACK `dsyevd`, values only).
  ///
  /// - Parameter symmetryTolerance: largest accepted |a_ij − a_ji|; LAPACK reads one triangle
  ///   only, so an asymmetric matrix would otherwise give a silently wrong answer.
  /// - Throws: `.notSquare`, `.notSymmetric` (also for NaN or ±∞ entries), `.tooLarge`, or
  ///   `.lapack` when the routine fails.
  public func symmetricEigenvalues(symmetryTolerance: Double = 1e-10) throws(MatrixError) -> [Double] {
    try symmetricEigen(vectors: false, symmetryTolerance: symmetryTolerance).values
  }

  /// Eigenvalues and eigenvectors of this symmetric matrix (LAPACK `dsyevd`); same contract as
  /// `symmetricEigenvalues`.
  public func symmetricEigendecomposition(
    symmetryTolerance: Double = 1e-10
  ) throws(MatrixError) -> SymmetricEigendecomposition {
    let (values, columnMajor) = try symmetricEigen(vectors: true, symmetryTolerance: symmetryTolerance)
    // LAPACK leaves eigenvector k in column k of a column-major array, which read row-major is
    // the transpose.
    let stored = try DenseMatrix(rows: rows, columns: rows, elements: columnMajor)
    return SymmetricEigendecomposition(values: values, vectors: stored.transposed())
  }

  /// Runs `dsyevd` on a copy; returns the eigenvalues and the (column-major) output array.
  private func symmetricEigen(
    vectors: Bool, symmetryTolerance: Double
  ) throws(MatrixError) -> (values: [Double], array: [Double]) {
    guard isSquare else { throw .notSquare(rows: rows, columns: columns) }
    if let violation = symmetryViolation(tolerance: symmetryTolerance) {
      throw .notSymmetric(violation)
    }
    guard rows <= DenseMatrix.maximumLAPACKOrder else {
      throw .tooLarge(n: rows, limit: DenseMatrix.maximumLAPACKOrder)
    }
    if rows == 0 { return ([], []) }

    // Symmetric, so the row-major array is also the column-major one.
    var a = elements
    var values = [Double](repeating: 0, count: rows)
    var jobz = CChar(UInt8(ascii: vectors ? "V" : "N"))
    var uplo = CChar(UInt8(ascii: "L"))
    var n = Int32(rows), lda = Int32(rows), info: Int32 = 0

    // Workspace query: lwork = liwork = −1 returns the optimal sizes in work[0] and iwork[0].
    var workSize = [Double](repeating: 0, count: 1)
    var iworkSize = [Int32](repeating: 0, count: 1)
    var lwork: Int32 = -1, liwork: Int32 = -1
    dsyevd_(&jobz, &uplo, &n, &a, &lda, &values, &workSize, &lwork, &iworkSize, &liwork, &info)
    guard info == 0 else { throw .lapack(routine: "dsyevd (workspace query)", info: Int(info)) }

    let optimalWork = workSize[0].rounded(.up)
    guard optimalWork.isFinite, optimalWork < Double(Int32.max), iworkSize[0] >= 1 else {
      throw .tooLarge(n: rows, limit: DenseMatrix.maximumLAPACKOrder)
    }
    lwork = max(Int32(optimalWork), 1)
    liwork = iworkSize[0]
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    dsyevd_(&jobz, &uplo, &n, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else { throw .lapack(routine: "dsyevd", info: Int(info)) }
    return (values, a)
  }
}
