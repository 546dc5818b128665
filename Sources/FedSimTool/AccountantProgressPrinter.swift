import CBLAS
import Foundation
import Learning
import Privacy

/// Tells the user what a long accountant computation is doing (on standard error): each dense
/// step estimated to take two seconds or more, with its cost and an estimate from this machine's
/// measured double-precision GEMM rate, and the worst-curious scan's progress with an ETA.
final class AccountantProgressPrinter: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  /// This machine's DGEMM rate (flop/s) on the BLAS threads in use, measured the first time a
  /// dense step starts (small graphs never pay for it).
  private lazy var rate = Self.measuredDGEMMRate()
  /// Steps estimated below this many seconds are not announced; the scan reports this often.
  let threshold: Double

  init(threshold: Double = 2) { self.threshold = threshold }
  private var announced: Set<String> = []
  private var scanStart: Date?
  private var lastScanLine = Date()

  func handle(_ event: AccountantProgress) {
    lock.lock()
    defer { lock.unlock() }
    switch event {
    case .stageStarted(let name, let order, let flops, let efficiency):
      // Below a GFLOP a step is over in well under 2 s on any machine: no need to measure.
      guard flops >= 1e9 || threshold == 0 else { return }
      let seconds = flops / (rate * efficiency)
      guard seconds >= threshold else { return }
      announced.insert(name)
      write(
        String(
          format: "accountant: %@ of order %d: %.2g flop, about %@ (DGEMM here: %.0f GFLOP/s)", name, order, flops, duration(seconds),
          rate / 1e9))
    case .stageFinished(let name, let seconds):
      guard announced.remove(name) != nil else { return }
      write(String(format: "accountant: %@ done in %@", name, duration(seconds)))
    case .scan(let done, let total):
      let now = Date()
      if scanStart == nil {
        scanStart = now
        lastScanLine = now
      }
      let elapsed = now.timeIntervalSince(scanStart ?? now)
      guard now.timeIntervalSince(lastScanLine) >= threshold || (done == total && elapsed >= threshold) else { return }
      lastScanLine = now
      let remaining = elapsed / Double(done) * Double(total - done)
      write(
        "accountant: worst single curious user: \(done)/\(total) users factorised, \(duration(elapsed)) elapsed"
          + (done < total ? ", about \(duration(remaining)) left" : ""))
      if done == total { scanStart = nil }
    }
  }

  private func write(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

  private func duration(_ seconds: Double) -> String {
    seconds < 90 ? String(format: "%.1f s", seconds) : String(format: "%.1f min", seconds / 60)
  }

  /// The best of three 384×384 DGEMMs, in flop/s.
  static func measuredDGEMMRate() -> Double {
    let n = 384
    let a = [Double](repeating: 0.5, count: n * n), b = [Double](repeating: 0.25, count: n * n)
    var c = [Double](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0..<3 {
      let start = Date()
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
      best = min(best, Date().timeIntervalSince(start))
    }
    return 2 * pow(Double(n), 3) / max(best, 1e-6)
  }
}
