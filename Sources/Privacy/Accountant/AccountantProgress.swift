import Foundation

/// What a long accountant computation reports as it goes: the dense O(n³) steps it starts (with
/// their cost, so a caller can estimate the time) and the progress of the worst-single-curious
/// scan, which factorises one covariance per user.
public enum AccountantProgress: Sendable, Equatable {
  /// A dense step of order `order` costing about `flops` floating-point operations starts; it
  /// runs at about `efficiency` times the machine's DGEMM rate (blocked Cholesky ≈ 0.9, the
  /// tridiagonal reduction of an eigensolver, half matrix-vector products, ≈ 0.25).
  case stageStarted(name: String, order: Int, flops: Double, efficiency: Double)
  /// That step ended after `seconds` of wall time.
  case stageFinished(name: String, seconds: Double)
  /// `done` of `total` users' exact losses are computed.
  case scan(done: Int, total: Int)
}

/// Receives `AccountantProgress` (from the thread that computes).
public typealias AccountantProgressHandler = @Sendable (AccountantProgress) -> Void

/// Runs a dense step, reporting its start (with its cost) and its end.
func reportingStage<T>(
  _ name: String, order: Int, flops: Double, efficiency: Double, _ progress: AccountantProgressHandler?,
  _ body: () throws(AccountantError) -> T
) throws(AccountantError) -> T {
  guard let progress else { return try body() }
  progress(.stageStarted(name: name, order: order, flops: flops, efficiency: efficiency))
  let start = Date()
  defer { progress(.stageFinished(name: name, seconds: Date().timeIntervalSince(start))) }
  return try body()
}
