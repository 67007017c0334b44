# kumo: one boring Makefile. `make` builds build/kumo.elf, build/kumo-mb1.elf (the ELF32
# multiboot1 wrapper QEMU's -kernel wants) and build/kumo.iso (GRUB, multiboot2).
# `make run`, `make run-bochs`, `make test`, `make bench` install what they need first.

CC       := gcc
LD       := ld
OBJCOPY  := objcopy
BUILD    := build
CMDLINE  ?= console=com1 com1=115200,8n1

GCC_INC  := $(shell $(CC) -print-file-name=include)
WARN     := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS   := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(GCC_INC) -Iinclude \
            -idirafter /usr/include -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
            -mgeneral-regs-only -fno-stack-protector -fno-omit-frame-pointer \
            -fno-asynchronous-unwind-tables -fno-strict-aliasing -fcf-protection=none \
            $(WARN) -MMD -MP
ASFLAGS  := -D__ASSEMBLY__ -Iinclude -MMD -MP
LDFLAGS  := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld

# Per-directory object lists: every source file in these directories is part of the image.
boot-src    := $(wildcard boot/*.S)
arch-src    := $(wildcard arch/x86/*.c arch/x86/*.S arch/x86/hvm/*.c arch/x86/hvm/*/*.c \
                          arch/x86/hvm/*/*.S)
kernel-src  := $(wildcard kernel/*.c kernel/lib/*.c kernel/sched/*.c)
drivers-src := $(wildcard drivers/*.c)
SRCS := $(boot-src) $(arch-src) $(kernel-src) $(drivers-src)
OBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(SRCS)))

# Test kernels (tests/guests/<name>/main.c + the runtime in tests/guests/lib).
GUEST_CFLAGS := -std=gnu11 -O2 -ffreestanding -nostdinc -isystem $(GCC_INC) -Iinclude \
            -Itests/guests/lib -idirafter /usr/include -fno-pic -fno-pie -mno-red-zone \
            -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
            -fcf-protection=none $(WARN) -Wno-missing-prototypes
GUEST_LIB := tests/guests/lib/head.S tests/guests/lib/lib.c tests/guests/lib/acpi.c \
             kernel/lib/vsnprintf.c \
             kernel/lib/string.c kernel/lib/strtoull.c kernel/lib/strlcpy.c
GUESTS := $(filter-out lib,$(notdir $(wildcard tests/guests/*)))
GUEST_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,$(GUESTS))

# 32-bit test kernels (issue 9): the smoke and event/timer kernels built for i386 in each
# paging mode, build/guests32/<name>-<mode>.elf, with head32.S and the compat layout check.
GUEST32_CFLAGS := $(filter-out -mno-red-zone,$(GUEST_CFLAGS)) -m32
GUEST32_LIB := tests/guests/lib/head32.S tests/guests/lib/lib.c tests/guests/lib/libgcc32.c \
               tests/guests/lib/acpi.c tests/guests/lib/compat_check.c \
               $(filter kernel/%,$(GUEST_LIB))
GUESTS32 := smoke events abi hostile memory
PAGING_MODES := nonpae pse pae
GUEST32_ELFS := $(foreach g,$(GUESTS32),$(foreach m,$(PAGING_MODES),$(BUILD)/guests32/$(g)-$(m).elf))

# dom0-tools (D7): Linux programs, statically linked. Each directory dom0-tools/<prog>/ is one
# program, build/dom0-tools/bin/<prog>, linked with every library in dom0-tools/libs/*/ (a file
# named fake.c there is the host-test platform and is never linked into a program).
D0_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -D__XEN_TOOLS__ -Idom0-tools/libs -Idom0-tools \
             -Iinclude/public -Iinclude \
             $(WARN) -MMD -MP
D0_LDLIBS := -llzma -lz -lzstd -lpthread
D0_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out %/fake.c,$(wildcard dom0-tools/libs/*/*.c)))
D0_PROGS := $(filter-out libs,$(notdir $(patsubst %/,%,$(wildcard dom0-tools/*/))))
D0_BINS := $(patsubst %,$(BUILD)/dom0-tools/bin/%,$(D0_PROGS))

all: $(BUILD)/kumo.elf $(BUILD)/kumo-mb1.elf $(BUILD)/kumo.iso $(GUEST_ELFS) $(GUEST32_ELFS) \
     dom0-tools

# The xenstore client answers to Xen's names for it through symlinks.
XS_LINKS := $(patsubst %,$(BUILD)/dom0-tools/bin/xenstore-%,read write ls rm list watch exists chmod)

dom0-tools: $(D0_BINS) $(XS_LINKS)

$(XS_LINKS): $(BUILD)/dom0-tools/bin/xenstore
	@ln -sf xenstore $@

$(BUILD)/dom0-tools/%.o: dom0-tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(D0_CFLAGS) -c $< -o $@

define d0_program
$(BUILD)/dom0-tools/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard dom0-tools/$(1)/*.c)) $(D0_LIB_OBJS)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$(CC) -static -o $$@ $$^ $(D0_LDLIBS)
endef
$(foreach p,$(D0_PROGS),$(eval $(call d0_program,$(p))))

$(BUILD)/guests/%.elf: tests/guests/%/main.c $(GUEST_LIB) tests/guests/lib/guest.h \
                       tests/guests/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(GUEST_CFLAGS) -nostdlib -static -Wl,-T,tests/guests/lib/guest.ld \
	    -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack -o $@ $< $(GUEST_LIB)

define guest32_mode
$(BUILD)/guests32/%-$(1).elf: tests/guests/%/main.c $(GUEST32_LIB) tests/guests/lib/guest.h \
                              tests/guests/lib/guest32.ld include/kumo/compat.h \
                              include/kumo/xen_abi.h
	@mkdir -p $$(dir $$@)
	@echo "  GUEST32 $$@"
	@$(CC) $(GUEST32_CFLAGS) -DGUEST_PAGING_$(2) -nostdlib -static \
	    -Wl,-T,tests/guests/lib/guest32.ld -Wl,--no-warn-rwx-segments -Wl,-z,noexecstack \
	    -o $$@ $$< $(GUEST32_LIB)
endef
$(eval $(call guest32_mode,nonpae,NONPAE))
$(eval $(call guest32_mode,pse,PSE))
$(eval $(call guest32_mode,pae,PAE))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

$(BUILD)/kumo.elf: $(OBJS) linker.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $@ $(OBJS)

# QEMU's multiboot1 loader refuses ELF64: wrap the loaded bytes in an ELF32 whose single
# segment sits at the same physical address and also covers .bss.
$(BUILD)/kumo-mb1.elf: $(BUILD)/kumo.elf scripts/mkelf32.sh
	scripts/mkelf32.sh $< $@

$(BUILD)/kumo.iso: $(BUILD)/kumo.elf scripts/mkiso.sh
	scripts/mkiso.sh $@ "$(CMDLINE)"

# Dom0 (D8): Debian's kernel and busybox fetched by scripts/fetch-debs.sh (paths from its
# output, so a kernel update moves along), the root archive from them, and an ISO booting kumo
# with Dom0. DOM0_MEM leaves the rest of the machine to guests (Xen's advice: a fixed
# dom0_mem); DOM0_FILES=<dir> merges a directory into the archive at the same paths.
DOM0_MEM     ?= 512M
DOM0_CMDLINE ?= console=hvc0
DOM0_FILES   ?=
DOM0_ETC     := $(wildcard dom0-tools/init/etc/*)
$(BUILD)/dom0/debs.env: scripts/fetch-debs.sh
	@mkdir -p $(dir $@)
	scripts/fetch-debs.sh $(BUILD) > $@.tmp && mv $@.tmp $@

$(BUILD)/dom0/rootfs.cpio.gz: $(BUILD)/dom0/debs.env scripts/mkdom0.py $(DOM0_ETC) $(D0_BINS) FORCE
	@. ./$(BUILD)/dom0/debs.env && scripts/mkdom0.py $@.tmp --kver $$KVER --moddir $$MODDIR \
	    --busybox $$BUSYBOX --tools $(BUILD)/dom0-tools/bin --etc dom0-tools/init/etc \
	    $(if $(DOM0_FILES),--files $(DOM0_FILES)) && \
	    { cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@; }

# Dom0's kernel is Debian's vmlinuz as the package ships it: kumo unpacks the bzImage (D8).
$(BUILD)/kumo-dom0.iso: $(BUILD)/kumo.elf $(BUILD)/dom0/rootfs.cpio.gz $(BUILD)/dom0/debs.env \
                        scripts/mkiso.sh
	@. ./$(BUILD)/dom0/debs.env && scripts/mkiso.sh $@ "$(CMDLINE) dom0_mem=$(DOM0_MEM)" \
	    $$VMLINUZ "$(DOM0_CMDLINE)" $(BUILD)/dom0/rootfs.cpio.gz "initrd"

iso: $(BUILD)/kumo-dom0.iso

# `make run`'s ISO: the same Dom0 plus two demo guests started from /etc/kumo/rc
# (dom0-tools/init/demo); the test ISOs stay without them.
DEMO := dom0-tools/init/demo
$(BUILD)/demo/rootfs.cpio.gz: $(BUILD)/dom0/debs.env scripts/mkdom0.py $(DOM0_ETC) $(D0_BINS) \
                              $(wildcard $(DEMO)/*) $(BUILD)/guests/ticker.elf FORCE
	@rm -rf $(BUILD)/demo/files && mkdir -p $(BUILD)/demo/files/etc/kumo \
	    $(BUILD)/demo/files/usr/lib/kumo
	@cp $(BUILD)/guests/ticker.elf $(BUILD)/demo/files/usr/lib/kumo/
	@cp $(DEMO)/*.cfg $(BUILD)/demo/files/etc/kumo/
	@cat dom0-tools/init/etc/rc $(DEMO)/rc > $(BUILD)/demo/files/etc/kumo/rc
	@. ./$(BUILD)/dom0/debs.env && scripts/mkdom0.py $@.tmp --kver $$KVER --moddir $$MODDIR \
	    --busybox $$BUSYBOX --tools $(BUILD)/dom0-tools/bin --etc dom0-tools/init/etc \
	    --files $(BUILD)/demo/files && \
	    { cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@; }

$(BUILD)/kumo-demo.iso: $(BUILD)/kumo.elf $(BUILD)/demo/rootfs.cpio.gz $(BUILD)/dom0/debs.env \
                        scripts/mkiso.sh
	@. ./$(BUILD)/dom0/debs.env && scripts/mkiso.sh $@ "$(CMDLINE) dom0_mem=$(DOM0_MEM)" \
	    $$VMLINUZ "$(DOM0_CMDLINE)" $(BUILD)/demo/rootfs.cpio.gz "initrd"

deps:
	@scripts/deps.sh

# run, test and bench build with one job per core (the 2-core CI machine in about half
# the time), after deps.sh has installed the compilers.
JOBS := -j$(shell nproc 2>/dev/null || echo 1)

run: deps
	$(MAKE) --no-print-directory $(JOBS) all $(BUILD)/kumo-demo.iso
	@echo "kumo + Debian Dom0 in QEMU (SVM+NPT, 2 CPUs, 1 GiB). Quit: Ctrl-] then x."
	qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -smp 2 -m 1024 -nic none \
	    -display none -serial mon:stdio -echr 0x1d -cdrom $(BUILD)/kumo-demo.iso -boot d

run-bochs: deps all
	@echo "kumo in Bochs (VT-x+EPT, 2 CPUs). Quit: Ctrl-C, then 'quit' at the debugger prompt."
	scripts/bochs.sh $(BUILD)/kumo.iso 2 interactive

unit: deps
	$(MAKE) -C tests/unit all

test: deps
	$(MAKE) --no-print-directory $(JOBS) all iso
	$(MAKE) --no-print-directory $(JOBS) -C tests/unit all
	python3 tests/run.py

bench: deps
	$(MAKE) --no-print-directory $(JOBS) all iso
	python3 tests/bench.py

clean:
	rm -rf $(BUILD)

.PHONY: all dom0-tools iso FORCE deps run run-bochs unit test bench clean
-include $(OBJS:.o=.d) $(D0_LIB_OBJS:.o=.d) \
    $(patsubst %.c,$(BUILD)/%.d,$(wildcard dom0-tools/*/*.c))
