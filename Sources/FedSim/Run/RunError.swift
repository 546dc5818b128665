/// Why a run could not be prepared or completed.
public enum RunError: Error, CustomStringConvertible {
  case data(String)
  case model(String)
  case simulation(String)
  case output(path: String, reason: String)
  case unsupported(field: String, value: String, reason: String)
  /// A value that cannot work (an unreachable privacy target, a mode that contradicts the aggregator).
  case invalid(field: String, value: String, reason: String)
  /// A non-finite value under `faults.non_finite: stop`.
  case nonFinite(NonFiniteFinding)
  /// The run completed but produced nothing usable (every round failed); its run directory was
  /// written, with `"status": "failed"` in summary.json.
  case failed(reason: String, directory: String)
  /// The user interrupted the run; what it wrote is in `directory` (`<output>.partial`), with a
  /// checkpoint to resume from when `resumable`.
  case interrupted(directory: String, resumable: Bool = false)
  /// A checkpoint that cannot be used: damaged, or written for another scenario, seed, version or
  /// BLAS kernel.
  case checkpoint(path: String, reason: String)

  var isInterruption: Bool {
    if case .interrupted = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .data(let message): return "data: \(message)"
    case .model(let message): return "model: \(message)"
    case .simulation(let message): return "simulation: \(message)"
    case .output(let path, let reason): return "\(path): \(reason)"
    case .unsupported(let field, let value, let reason): return "\(field) = \(value) is not supported yet: \(reason)"
    case .invalid(let field, let value, let reason): return "\(field) = \(value): \(reason)"
    case .nonFinite(let finding): return "\(finding); the run stopped (faults.non_finite: stop; use reject to drop such updates and go on)"
    case .failed(let reason, let directory): return "the run failed: \(reason) (run directory: \(directory))"
    case .interrupted(let directory, let resumable):
      return resumable
        ? "interrupted; continue with `fedsim run --resume \(directory)`"
        : "interrupted; what the run wrote so far is in \(directory)"
    case .checkpoint(let path, let reason): return "\(path): \(reason)"
    }
  }
}
