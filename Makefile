# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLES := $(wildcard examples/*.toml)

.PHONY: demo test bench bench-full fuzz clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	@[ -f keys/dev-signer.key ] || $(BIN)/ctlbuild keys init --dir keys
	$(BIN)/ctlbuild build $(EXAMPLES) -o out
	@for list in $(EXAMPLES); do \
	  name=$$(basename $$list .toml); \
	  $(BIN)/ctlbuild verify out/$$name.stl --anchor keys/dev-root-ca.pem --list $$list > out/$$name.verify.txt \
	    && echo "verified out/$$name.stl (findings in out/$$name.verify.txt)" \
	    || { cat out/$$name.verify.txt; exit 1; }; \
	done
	$(BIN)/ctlbuild show out/diginotar-kb2616676.stl
	@# diff exits 1 when the releases differ, as diff(1) does: that is the expected answer here
	$(BIN)/ctlbuild diff out/diginotar-kb2607712.stl out/diginotar-kb2616676.stl; test $$? -eq 1
	$(BIN)/ctlbuild changelog examples/diginotar-kb2616676.toml --lang zh-CN --format html -o out/diginotar.zh-CN.html
	@echo "changelogs: out/diginotar-kb2616676.changelog.md, out/diginotar.zh-CN.html"
	$(BIN)/ctlbuild export out/diginotar-kb2616676.stl --to json -o out/diginotar.export.json --report out/diginotar.export-report.json
	$(BIN)/ctlbuild mirror build examples/mirror/dev-roots.toml examples/diginotar-kb2616676.toml -o out/mirror
	$(BIN)/ctlbuild mirror check out/mirror --anchor keys/dev-root-ca.pem
	$(BIN)/ctlbuild deploy examples/mirror/dev-roots.toml -o out/deploy --mirror-url https://pki.example/ctl

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The same, with the slow asn1crypto native-values encoder on 100k entries instead of 10k.
bench-full: $(STAMP)
	$(BIN)/python -m benchmarks --full

# Long coverage-guided fuzzing (atheris) of every reader; crashes land in tests/fuzz/regressions/.
FUZZ_SECONDS ?= 120
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet atheris
	$(BIN)/python -m tests.fuzz.run_atheris --seconds $(FUZZ_SECONDS)

# Everything builds and the demo write (never keys/, never other files in out/).
clean:
	rm -rf $(VENV) .test-artifacts out/mirror out/deploy out/.ctlbuild-staging
	rm -f out/*.stl out/*.sst out/*.cab out/*.ctl out/*.changelog.md out/*.html out/*.json out/*.txt \
	  out/.ctlbuild.lock
