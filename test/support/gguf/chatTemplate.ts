// The chat template generated coder models carry, so node-llama-cpp wraps chats as Qwen does.
import { readLlamaSourceFile } from "./llamaSource";

/** Qwen2.5-Coder's instruct models ship this same template (tools block, ChatML turns). */
const QWEN25_TEMPLATE_PATH = "models/templates/Qwen-Qwen2.5-7B-Instruct.jinja";

/** Plain ChatML, used only if the bundle ever stops carrying Qwen's template. */
const CHATML_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

let template: string | undefined;

export function qwenChatTemplate(): string {
  template ??= readLlamaSourceFile(QWEN25_TEMPLATE_PATH)?.toString("utf8") ?? CHATML_TEMPLATE;
  return template;
}
