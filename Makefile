# The two entry points of the README. Everything else is Meson.
#   make run   set up, build (release), check this machine: portsight with no arguments
#   make test  set up, build with ASan+UBSan (clang, libFuzzer), run every test; then the
#              threaded parts' unit tests under ThreadSanitizer (build-tsan); then lint
#              (cppcheck + clang-tidy, zero findings), after the tests so the timed ones
#              keep the CPUs
BUILD      ?= build
TEST_BUILD ?= build-test
TSAN_BUILD ?= build-tsan

.PHONY: run test build bench clean

build:
	./scripts/bootstrap
	[ -d $(BUILD) ] || meson setup $(BUILD) --buildtype=release
	ninja -C $(BUILD)

run: build
	./$(BUILD)/src/cli/portsight

test:
	./scripts/bootstrap
	[ -d $(TEST_BUILD) ] || CC=clang meson setup $(TEST_BUILD) --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true -Dfuzz=true
	ninja -C $(TEST_BUILD)
	@./scripts/run-tests $(TEST_BUILD); rc=$$?; \
	./scripts/tsan-tests $(TSAN_BUILD) || rc=1; \
	nice -n 19 ./scripts/lint $(TEST_BUILD) || rc=1; \
	exit $$rc

bench: build
	./bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(TSAN_BUILD)
