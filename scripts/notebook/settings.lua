-- settings.lua - notebook.lua's command-line options (common/options.lua spec) and presets.
--
-- The defaults are the researchers' PyTorch notebook as written (docs/notebook.md), scaled
-- down in size only (training images, epochs, meta-iterations); --full restores its scale,
-- --quick is a run of a minute. Each of the notebook's defects has an option that switches
-- it (the report names them: notebook/report.lua's DEFECTS). --help, --config, --out,
-- --resume, --jobs, --progress-every and --require are the study driver's
-- (common/study.lua), added to these.
local M = {}

M.PROG = "notebook.lua"

M.USAGE = "usage: rankhost scripts/notebook.lua [--quick | --full] [options]\n"
  .. "The researchers' PyTorch notebook, ported: four MLPs (2-5 hidden Linear layers after the first) trained\n"
  .. "with Adam at two batch sizes per epoch; every 3rd epoch each layer's rank of its weight and gradient,\n"
  .. "its spectral norm and test accuracy; the next meta-iteration's widths are the last ranks measured."

M.SPEC = {
  { name = "quick", type = "preset", help = "a run of about a minute (2,000 images, widths from 128, 2 meta-iterations)",
    sets = { ["train-size"] = 2000, ["test-size"] = 2000, width = 128, epochs = 4, ["meta-iters"] = 2 } },
  { name = "full", type = "preset", help = "the notebook's own scale: 60k images, 100 epochs, 15 meta-iterations (days here)",
    sets = { ["train-size"] = 0, ["test-size"] = 0, width = 784, epochs = 100, ["meta-iters"] = 15 } },
  -- ---- data ----
  { name = "dataset", type = "choice", choices = { "mnist", "fashion-mnist" }, default = "mnist",
    help = "the notebook's MNIST; Fashion-MNIST stands in where MNIST is not found (the report says so)" },
  { name = "data-dir", type = "string", default = "", metavar = "DIR",
    help = "folder of the IDX files (default: rh.data's search path); with only t10k files there, they are split 5:1" },
  { name = "train-size", type = "int", default = 4000, min = 0, help = "first N training images (0: all, the notebook's 60k)" },
  { name = "test-size", type = "int", default = 0, min = 0, help = "first N test images (0: all)" },
  -- ---- the networks ----
  { name = "depths", type = "ints", default = { 2, 3, 4, 5 }, min = 1,
    help = "n_layers of each network: Linear(784->h), n_layers Linear(h->h), Linear(h->10)" },
  { name = "width", type = "int", default = 784, min = 1, help = "every hidden width in the first meta-iteration" },
  { name = "meta-iters", type = "int", default = 3, min = 1, help = "meta-iterations (the notebook: 15)" },
  { name = "epochs", type = "int", default = 4, min = 1,
    help = "num_epochs, the inner loop's cap (the notebook: 100)" },
  { name = "check-every", type = "int", default = 3, min = 1,
    help = "measure after epochs 1, 1+K, 1+2K, ... (Python's `epoch % 3 == 0` over range(num_epochs))" },
  { name = "seed", type = "int", default = 1, min = 0, help = "seed of initialisation and shuffling" },
  { name = "device", type = "string", default = "", metavar = "cpu|cuda",
    help = "where the models AND the batches live (the notebook moved only the batches to CUDA; default: rh.device())" },
  -- ---- training (the defects' switches) ----
  { name = "optimizer", type = "choice", choices = { "adam", "sgd" }, default = "adam",
    help = "the notebook's Adam, or SGD (the intended experiment: --optimizer sgd --weight-decay W)" },
  { name = "lr", type = "number", default = 1e-3, min = 0, help = "learning rate" },
  { name = "momentum", type = "number", default = 0, min = 0, max = 0.99, help = "SGD momentum" },
  { name = "weight-decay", type = "number", default = 0, min = 0,
    help = "weight decay of every layer (the notebook: 0 in both parameter groups)" },
  { name = "decay-last-only", type = "bool", default = false,
    help = "apply --weight-decay to the last layer's group only (the notebook's groups read literally: 0 on the rest)" },
  { name = "batches", type = "ints", default = { 64, 128 }, min = 1,
    help = "one pass over the training set per batch size, each epoch (the notebook: 64 then 128)" },
  { name = "plateau", type = "bool", default = true,
    help = "ReduceLROnPlateau stepped each epoch on the last batch's loss (PyTorch's defaults but threshold)" },
  { name = "plateau-threshold", type = "number", default = 1e-2, min = 0, help = "its threshold (mode 'rel')" },
  -- ---- measurement and the evolve rule ----
  { name = "measure", type = "string", default = "numerical", metavar = "NAME",
    help = "rank measure of weights and gradients, any of rh.rank.measure_names (the notebook: numerical)" },
  { name = "tol", type = "number", default = -1,
    help = "the measure's tolerance (numerical: absolute tol; relative: tol; energy: tau); < 0: its default" },
  { name = "stop-on", type = "choice", choices = { "test", "validation" }, default = "test",
    help = "the set the evolve rule reads (the notebook: the test set, a selection on it)" },
  { name = "validation", type = "number", default = 0.1, min = 0, max = 0.9,
    help = "with --stop-on validation: the fraction of the training images held out for it" },
  { name = "evolve-acc", type = "number", default = 0.9, min = 0, max = 1,
    help = "evolve when every network's accuracy is at least this ..." },
  { name = "evolve-delta", type = "number", default = 0.01, min = 0,
    help = "... and none improved by more than this since the last check" },
  { name = "figures", type = "bool", default = true, help = "draw the PNG figures (needs gnuplot)" },
}

-- The settings a folder is continued only under (config.json's `settings`): everything that
-- changes what a meta-iteration trains or measures. Not among them: --meta-iters (a larger
-- value continues a finished folder with more meta-iterations), --data-dir (where the same
-- files lie), --figures (the report only).
M.KEYS = { "dataset", "train_size", "test_size", "depths", "width", "epochs", "check_every", "seed", "device",
  "optimizer", "lr", "momentum", "weight_decay", "decay_last_only", "batches", "plateau", "plateau_threshold",
  "measure", "tol", "stop_on", "validation", "evolve_acc", "evolve_delta" }

return M
