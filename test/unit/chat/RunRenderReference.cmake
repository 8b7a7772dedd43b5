# Runs test/reference/render_ref.mjs at build time. A failure (reference
# packages not installed) is a warning, not a broken build: the reference
# tests then report the missing renders themselves.
execute_process(
  COMMAND ${NODE} ${SCRIPT} ${CONVERSATIONS} ${OUT}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT})
  message(WARNING "render_ref.mjs failed (exit ${rc}); run `npm ci` in "
                  "test/reference. The chat reference tests cannot run.")
endif()
