import Learning

// Pick a verified OpenBLAS kernel before anything else runs (this may restart the program with
// OPENBLAS_CORETYPE set; see BLASKernelSelection).
BLASKernelSelection.configure()
FedSimCommand.main()
