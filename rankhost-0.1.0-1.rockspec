-- rankhost as a LuaRocks rock: `luarocks --lua-version 5.4 make` in a clone builds rankhost.so
-- (and the rankhost program) with the project's CMake and installs the module into the rocks
-- tree, so that a stock lua5.4 does `local rh = require "rankhost"`. README "Installing".
rockspec_format = "3.0"
package = "rankhost"
version = "0.1.0-1"
source = {
  url = "git+file://./",  -- `luarocks make` builds the clone it is run in; nothing is fetched
}
description = {
  summary = "Tensors, layers, optimizers, datasets and matrix-rank tools for Lua 5.4 (OpenBLAS, LAPACKE, CUDA)",
  detailed = [[
    The Lua surface of rankhost (rh.tensor, rh.nn, rh.optim, rh.train, rh.rank, rh.data, ...)
    as a C module for a stock Lua 5.4 interpreter, for researchers who study the rank of
    neural networks' weight matrices. The rankhost program and the study scripts are built
    and installed beside it.]],
  license = "see the repository",
}
dependencies = { "lua == 5.4" }
external_dependencies = {
  -- Debian: libopenblas-dev liblapacke-dev zlib1g-dev (debian-packages.txt)
  OPENBLAS = { library = "openblas" },
  LAPACKE = { header = "lapacke.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_INSTALL_BINDIR = "$(BINDIR)",
    RANKHOST_LUA_CMOD_DIR = "$(LIBDIR)",
    LUA_INCLUDE_DIR = "$(LUA_INCDIR)",
    RANKHOST_TESTS = "OFF",
  },
}
