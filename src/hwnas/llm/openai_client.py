"""Any OpenAI-compatible chat endpoint: vLLM, llama.cpp server, Ollama, LM Studio, OpenAI itself.

The API key is read from an environment variable whose *name* is configured (never the key itself), is sent only in
the request header, and is kept out of reprs, cache entries, replay files and error messages. The ``openai``
package's own retries are switched off: the runner owns retries, so every client retries the same way.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import urlparse

from hwnas.core.errors import ConfigError
from hwnas.llm.base import LLMError, Request, TransientLLMError
from hwnas.llm.runner import UnreachableError

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
PLACEHOLDER_KEY = "no-key"  # local servers (vLLM, llama.cpp, Ollama) accept any key, but the header must be there
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_MAX_DETAIL = 300


def _import_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise ConfigError(
            "llm.client 'openai' needs the openai package, which is not installed: pip install \"hwnas[llm]\""
        ) from None
    return openai


class OpenAIClient:
    """Chat completions from ``base_url`` for ``model`` (the name the server serves, e.g. ``Qwen/Qwen2.5-7B-Instruct``
    for ``vllm serve Qwen/Qwen2.5-7B-Instruct``). Its cache identity is ``openai:<model>@<base_url>``, so answers of
    different servers never mix."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        structured_output: bool = False,
    ) -> None:
        openai = _import_openai()
        self.served_model = model
        self.base_url = (base_url or OPENAI_BASE_URL).rstrip("/")
        if urlparse(self.base_url).scheme not in ("http", "https"):
            raise ConfigError(
                f"llm.base_url is {self.base_url!r}; allowed: an http(s):// URL such as {OPENAI_BASE_URL}"
            )
        self.api_key_env = api_key_env
        self._secret = os.environ.get(api_key_env, "")
        if not self._secret and urlparse(self.base_url).hostname == "api.openai.com":
            raise ConfigError(
                f"environment variable {api_key_env} is not set; {self.base_url} needs an API key there "
                "(or name another variable with llm.api_key_env)"
            )
        self._client = openai.OpenAI(base_url=self.base_url, api_key=self._secret or PLACEHOLDER_KEY, max_retries=0)
        self.model = f"openai:{model}@{self.base_url}"
        # response_format json_schema: OpenAI, vLLM, llama.cpp server and Ollama accept it, others answer HTTP 400
        self.structured_output = structured_output

    def __repr__(self) -> str:
        return (
            f"OpenAIClient(model={self.served_model!r}, base_url={self.base_url!r}, api_key_env={self.api_key_env!r})"
        )

    def describe(self) -> dict[str, object]:
        return {
            "base_url": self.base_url,
            "served_model": self.served_model,
            "api_key_env": self.api_key_env,
            "api_key_set": bool(self._secret),
            "structured_output": self.structured_output,
        }

    def complete(self, request: Request, *, timeout_s: float) -> str:
        sampling = request.sampling
        kwargs: dict[str, Any] = {
            "model": self.served_model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "timeout": timeout_s,
        }
        if sampling.seed is not None:
            kwargs["seed"] = sampling.seed
        if self.structured_output and request.answer_schema is not None:
            schema = {"name": "answer", "schema": json.loads(request.answer_schema), "strict": True}
            kwargs["response_format"] = {"type": "json_schema", "json_schema": schema}
        if sampling.stop:
            kwargs["stop"] = list(sampling.stop)
        try:
            response = self._client.chat.completions.create(**kwargs)
        except Exception as exc:
            raise self._translate(exc, timeout_s) from None
        return self._text(response)

    def _text(self, response: Any) -> str:
        """The first choice's text; anything else is a malformed answer (retried: servers do glitch)."""
        choices = getattr(response, "choices", None)
        if not choices:
            raise TransientLLMError(
                f"{self.base_url} returned a malformed response (no choices): {self._clip(response)}"
            )
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None)
        if not isinstance(content, str):
            raise TransientLLMError(f"{self.base_url} returned a response without message text: {self._clip(response)}")
        return content

    def _translate(self, exc: Exception, timeout_s: float) -> Exception:
        """The openai package's exception -> a retryable or a final LLMError, with the API key redacted."""
        openai = _import_openai()
        where = f"{self.base_url} (model {self.served_model!r})"
        if isinstance(exc, openai.APITimeoutError):
            return TransientLLMError(f"{where}: no answer within {timeout_s:g} s")
        if isinstance(exc, openai.APIConnectionError):  # refused, unknown host: the runner fails fast on it
            return UnreachableError(f"{where}: cannot connect ({self._clip(exc.__cause__ or exc)}); is the server up?")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            hint = f"check the key in ${self.api_key_env}" if self._secret else f"${self.api_key_env} is not set"
            return LLMError(f"{where}: HTTP {exc.status_code}, the server refused the API key ({hint})")
        if isinstance(exc, openai.NotFoundError):
            return LLMError(f"{where}: HTTP 404 ({self._clip(exc)}); is the model name the one the server serves?")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            error_type = TransientLLMError if status >= 500 or status in _RETRY_STATUS else LLMError
            return error_type(f"{where}: HTTP {status}: {self._clip(exc)}")
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return TransientLLMError(f"{where}: malformed response ({self._clip(exc)})")
        return LLMError(f"{where}: {type(exc).__name__}: {self._clip(exc)}")

    def _clip(self, value: object) -> str:
        text = " ".join(str(value).split())
        if self._secret:
            text = text.replace(self._secret, "***")
        return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
