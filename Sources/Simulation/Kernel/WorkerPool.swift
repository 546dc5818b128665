import Dispatch

/// A fixed pool of workers for CPU-bound jobs. Jobs are assigned statically (job j runs on worker
/// j mod workers), each worker owns its scratch (e.g. an activation arena), and every job writes
/// only its own result slot, so results do not depend on the number of workers or on timing.
public struct WorkerPool: Sendable {
  public let workers: Int

  public init(workers: Int) {
    precondition(workers > 0, "a pool needs at least one worker")
    self.workers = workers
  }

  /// Runs `body(job, worker)` for job in 0..<jobs, in parallel across workers.
  @inlinable
  public func run(jobs: Int, _ body: @Sendable (_ job: Int, _ worker: Int) -> Void) {
    guard jobs > 0 else { return }
    let active = min(workers, jobs)
    if active == 1 {
      for job in 0..<jobs { body(job, 0) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: active) { worker in
      for job in stride(from: worker, to: jobs, by: active) { body(job, worker) }
    }
  }

  /// Runs `body` on each input in parallel and returns the outputs in input order.
  @inlinable
  public func map<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], _ body: @Sendable (Input, _ worker: Int) -> Output
  ) -> [Output] {
    let slots = ResultSlots<Output>(count: inputs.count)
    run(jobs: inputs.count) { job, worker in slots.store(body(inputs[job], worker), at: job) }
    return slots.collect()
  }
}

/// Write-once result slots filled from several threads.
@usableFromInline
final class ResultSlots<Output>: @unchecked Sendable {
  // @unchecked Sendable: each slot is written by exactly one job, and read only after `run`
  // has returned (concurrentPerform joins all workers).
  @usableFromInline let pointer: UnsafeMutablePointer<Output?>
  @usableFromInline let count: Int

  @inlinable
  init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
    pointer.initialize(repeating: nil, count: count)
  }

  @inlinable
  deinit {
    pointer.deinitialize(count: count)
    pointer.deallocate()
  }

  @inlinable
  func store(_ value: Output, at index: Int) { pointer[index] = value }

  @inlinable
  func collect() -> [Output] { (0..<count).map { pointer[$0]! } }
}
