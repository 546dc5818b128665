import StateArchive

/// A task whose state can be saved with the simulator's in a checkpoint and restored, so that a
/// resumed run continues exactly where the saved one stopped.
///
/// The simulator saves its own state (clock, event queue, trace, messages in flight, round
/// bookkeeping) and asks the task for everything else: models, per-client state, aggregator and
/// accountant state. Client states are shared between the simulator and the task, so the task
/// restores them and the simulator looks them up with `restoredState(of:)`.
public protocol ResumableTask: AnyObject {
  associatedtype Message: Sendable
  /// The per-client state the simulator holds (the same objects the task restores).
  associatedtype PersistentState

  /// Writes the task's state.
  func archive(to writer: inout ArchiveWriter)
  /// Reads what `archive(to:)` wrote, replacing the task's state.
  func restore(from reader: inout ArchiveReader) throws(ArchiveError)
  func archive(message: Message, to writer: inout ArchiveWriter)
  func readMessage(from reader: inout ArchiveReader) throws(ArchiveError) -> Message
  /// The state of `client` after `restore(from:)` (created afresh when it held none).
  func restoredState(of client: ClientID) -> PersistentState
}

extension LocalReport {
  func archive<Task: ResumableTask>(to writer: inout ArchiveWriter, task: Task) where Task.Message == Message {
    task.archive(message: message, to: &writer)
    writer.write(weight)
    writer.write(metrics)
    writer.write(rejected)
  }

  init<Task: ResumableTask>(from reader: inout ArchiveReader, task: Task) throws(ArchiveError) where Task.Message == Message {
    let message = try task.readMessage(from: &reader)
    self.init(message: message, weight: try reader.readDouble(), metrics: try reader.readDictionary(), rejected: try reader.readBool())
  }
}
