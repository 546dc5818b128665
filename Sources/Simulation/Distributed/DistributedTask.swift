import StateArchive

/// A task that can run sharded over the ranks of a `Cluster`: its messages are archivable (it is
/// resumable), and what a job records besides its report — diagnostics, a failure — travels with
/// the report to the other ranks.
///
/// The owner of a job writes its notes right after the report (`archiveNotes`); every other rank
/// reads them back in the same place (`readNotes`) before the job's `finishedLocalWork`.
public protocol DistributedTask: ResumableTask {
  /// What the job of `client` in `round` recorded that other ranks must know. Default: nothing.
  func archiveNotes(client: ClientID, round: Int, to writer: inout ArchiveWriter)
  /// Takes in what `archiveNotes` wrote on the owning rank. Default: nothing.
  func readNotes(client: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError)
  /// What mixing `node` in `round` recorded that other ranks must know (gossip). Default: nothing.
  func archiveMixNotes(node: ClientID, round: Int, to writer: inout ArchiveWriter)
  /// Takes in what `archiveMixNotes` wrote on the owning rank. Default: nothing.
  func readMixNotes(node: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError)
}

extension DistributedTask {
  public func archiveNotes(client: ClientID, round: Int, to writer: inout ArchiveWriter) {}
  public func readNotes(client: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError) {}
  public func archiveMixNotes(node: ClientID, round: Int, to writer: inout ArchiveWriter) {}
  public func readMixNotes(node: ClientID, round: Int, from reader: inout ArchiveReader) throws(ArchiveError) {}
}
