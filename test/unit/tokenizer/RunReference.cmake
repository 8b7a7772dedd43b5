# Runs test/reference/tokenize_ref.mjs at build time. A failure (reference
# packages not installed) is a warning, not a broken build: the corpus test
# then reports the missing ids itself.
execute_process(
  COMMAND ${NODE} ${SCRIPT} ${CORPUS} ${OUT}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT})
  message(WARNING "The reference tokenizers failed (exit ${rc}); run `npm ci` "
                  "in test/reference. The tokenizer corpus test cannot run.")
endif()
