"""What a person does on the console's pages, as small steps a journey strings together."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.console_support import PASSWORD

WAIT_S = 30  # a page that waits on the services' consumers can take a few seconds on a loaded machine


def wait(driver: WebDriver, seconds: float = WAIT_S) -> WebDriverWait[WebDriver]:
    """A waiter on the driver."""
    return WebDriverWait(driver, seconds)


def find(driver: WebDriver, css: str, seconds: float = WAIT_S) -> WebElement:
    """The element once it is there."""
    return wait(driver, seconds).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def text_of(driver: WebDriver, css: str, seconds: float = WAIT_S) -> str:
    """The visible text of the element once it is there."""
    return find(driver, css, seconds).text


def wait_text(driver: WebDriver, css: str, text: str, seconds: float = WAIT_S) -> None:
    """Wait until the element's text contains `text`."""
    wait(driver, seconds).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def fill(driver: WebDriver, fields: dict[str, Any], within: str = "") -> None:
    """Type into inputs and choose in selects, by the field's name."""
    from selenium.webdriver.support.ui import Select

    for name, value in fields.items():
        element = find(driver, f'{within} [name="{name}"]'.strip())
        if element.tag_name == "select":
            Select(element).select_by_value(str(value))
        else:
            element.clear()
            element.send_keys(str(value))


def sign_in(driver: WebDriver, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form and wait for the landing page."""
    driver.get(f"{base_url}/login")
    fill(driver, {"username": username, "password": password})
    find(driver, "#sign-in").click()
    find(driver, "#who")
