import Foundation
import Testing

@testable import Learning

/// The directory of a committed fixture.
func fixtureURL(_ name: String) -> URL {
  Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// max |a − b| / max(|b|, floor): relative error with a floor for entries near zero.
func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-2) -> Float {
  precondition(a.count == b.count)
  let scale = max(b.map { abs($0) }.max() ?? 0, floor)
  var worst: Float = 0
  for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / scale) }
  return worst
}

/// Runs a closure with the buffers of two Int32 arrays.
func withBatch<R>(
  _ tokens: [Int32], _ targets: [Int32], _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>) throws -> R
) rethrows -> R {
  try tokens.withUnsafeBufferPointer { t in try targets.withUnsafeBufferPointer { y in try body(t, y) } }
}
